/* The GS1 Application Identifier table (GS1 General Specifications,
 * section 3.2), one row per AI or AI family, in AI order. The format
 * notation is explained in gs1.h. AIs are prefix-free, so the parser can
 * match the first row whose AI starts the data. */
#include "drivers/barcode/gs1.h"

#include <string.h>

#define AI(ai, format, title) {ai, -1, false, format, title}
#define AI_N(ai, max, format, title) {ai, max, false, format, title}

const struct gs1_ai_def gs1_ai_table[] = {
	AI("00", "N18,csum", "SSCC"),
	AI("01", "N14,csum", "GTIN"),
	AI("02", "N14,csum", "CONTENT"),
	AI("03", "N14,csum", "MTO GTIN"),
	AI("10", "X..20", "BATCH/LOT"),
	AI("11", "N6,yymmd0", "PROD DATE"),
	AI("12", "N6,yymmd0", "DUE DATE"),
	AI("13", "N6,yymmd0", "PACK DATE"),
	AI("15", "N6,yymmd0", "BEST BEFORE or BEST BY"),
	AI("16", "N6,yymmd0", "SELL BY"),
	AI("17", "N6,yymmd0", "USE BY or EXPIRY"),
	AI("20", "N2", "VARIANT"),
	AI("21", "X..20", "SERIAL"),
	AI("22", "X..20", "CPV"),
	AI("235", "X..28", "TPX"),
	AI("240", "X..30", "ADDITIONAL ID"),
	AI("241", "X..30", "CUST. PART No."),
	AI("242", "N..6", "MTO VARIANT"),
	AI("243", "X..20", "PCN"),
	AI("250", "X..30", "SECONDARY SERIAL"),
	AI("251", "X..30", "REF. TO SOURCE"),
	AI("253", "N13,csum [X..17]", "GDTI"),
	AI("254", "X..20", "GLN EXTENSION COMPONENT"),
	AI("255", "N13,csum [N..12]", "GCN"),
	AI("30", "N..8", "VAR. COUNT"),
	{"310", 5, true, "N6", "NET WEIGHT (kg)"},
	{"311", 5, true, "N6", "LENGTH (m)"},
	{"312", 5, true, "N6", "WIDTH (m)"},
	{"313", 5, true, "N6", "HEIGHT (m)"},
	{"314", 5, true, "N6", "AREA (m2)"},
	{"315", 5, true, "N6", "NET VOLUME (l)"},
	{"316", 5, true, "N6", "NET VOLUME (m3)"},
	{"320", 5, true, "N6", "NET WEIGHT (lb)"},
	{"321", 5, true, "N6", "LENGTH (in)"},
	{"322", 5, true, "N6", "LENGTH (ft)"},
	{"323", 5, true, "N6", "LENGTH (yd)"},
	{"324", 5, true, "N6", "WIDTH (in)"},
	{"325", 5, true, "N6", "WIDTH (ft)"},
	{"326", 5, true, "N6", "WIDTH (yd)"},
	{"327", 5, true, "N6", "HEIGHT (in)"},
	{"328", 5, true, "N6", "HEIGHT (ft)"},
	{"329", 5, true, "N6", "HEIGHT (yd)"},
	{"330", 5, true, "N6", "GROSS WEIGHT (kg)"},
	{"331", 5, true, "N6", "LENGTH (m), log"},
	{"332", 5, true, "N6", "WIDTH (m), log"},
	{"333", 5, true, "N6", "HEIGHT (m), log"},
	{"334", 5, true, "N6", "AREA (m2), log"},
	{"335", 5, true, "N6", "VOLUME (l), log"},
	{"336", 5, true, "N6", "VOLUME (m3), log"},
	{"337", 5, true, "N6", "KG PER m2"},
	{"340", 5, true, "N6", "GROSS WEIGHT (lb)"},
	{"341", 5, true, "N6", "LENGTH (in), log"},
	{"342", 5, true, "N6", "LENGTH (ft), log"},
	{"343", 5, true, "N6", "LENGTH (yd), log"},
	{"344", 5, true, "N6", "WIDTH (in), log"},
	{"345", 5, true, "N6", "WIDTH (ft), log"},
	{"346", 5, true, "N6", "WIDTH (yd), log"},
	{"347", 5, true, "N6", "HEIGHT (in), log"},
	{"348", 5, true, "N6", "HEIGHT (ft), log"},
	{"349", 5, true, "N6", "HEIGHT (yd), log"},
	{"350", 5, true, "N6", "AREA (in2)"},
	{"351", 5, true, "N6", "AREA (ft2)"},
	{"352", 5, true, "N6", "AREA (yd2)"},
	{"353", 5, true, "N6", "AREA (in2), log"},
	{"354", 5, true, "N6", "AREA (ft2), log"},
	{"355", 5, true, "N6", "AREA (yd2), log"},
	{"356", 5, true, "N6", "NET WEIGHT (troy oz)"},
	{"357", 5, true, "N6", "NET VOLUME (oz)"},
	{"360", 5, true, "N6", "NET VOLUME (qt)"},
	{"361", 5, true, "N6", "NET VOLUME (gal.)"},
	{"362", 5, true, "N6", "VOLUME (qt), log"},
	{"363", 5, true, "N6", "VOLUME (gal.), log"},
	{"364", 5, true, "N6", "VOLUME (in3)"},
	{"365", 5, true, "N6", "VOLUME (ft3)"},
	{"366", 5, true, "N6", "VOLUME (yd3)"},
	{"367", 5, true, "N6", "VOLUME (in3), log"},
	{"368", 5, true, "N6", "VOLUME (ft3), log"},
	{"369", 5, true, "N6", "VOLUME (yd3), log"},
	AI("37", "N..8", "COUNT"),
	{"390", 9, true, "N..15", "AMOUNT"},
	{"391", 9, true, "N3 N..15", "AMOUNT (ISO currency)"},
	{"392", 9, true, "N..15", "PRICE"},
	{"393", 9, true, "N3 N..15", "PRICE (ISO currency)"},
	{"394", 3, true, "N4", "PRCNT OFF"},
	{"395", 5, true, "N6", "PRICE/UoM"},
	AI("400", "X..30", "ORDER NUMBER"),
	AI("401", "X..30", "GINC"),
	AI("402", "N17,csum", "GSIN"),
	AI("403", "X..30", "ROUTE"),
	AI("410", "N13,csum", "SHIP TO LOC"),
	AI("411", "N13,csum", "BILL TO"),
	AI("412", "N13,csum", "PURCHASE FROM"),
	AI("413", "N13,csum", "SHIP FOR LOC"),
	AI("414", "N13,csum", "LOC No."),
	AI("415", "N13,csum", "PAY TO"),
	AI("416", "N13,csum", "PROD/SERV LOC"),
	AI("417", "N13,csum", "PARTY"),
	AI("420", "X..20", "SHIP TO POST"),
	AI("421", "N3 X..9", "SHIP TO POST (ISO country)"),
	AI("422", "N3", "ORIGIN"),
	AI("423", "N3 [N..12]", "COUNTRY - INITIAL PROCESS"),
	AI("424", "N3", "COUNTRY - PROCESS"),
	AI("425", "N3 [N..12]", "COUNTRY - DISASSEMBLY"),
	AI("426", "N3", "COUNTRY - FULL PROCESS"),
	AI("427", "X..3", "ORIGIN SUBDIVISION"),
	AI("4300", "X..35", "SHIP TO COMP"),
	AI("4301", "X..35", "SHIP TO NAME"),
	AI("4302", "X..70", "SHIP TO ADD1"),
	AI("4303", "X..70", "SHIP TO ADD2"),
	AI("4304", "X..70", "SHIP TO SUB"),
	AI("4305", "X..70", "SHIP TO LOC"),
	AI("4306", "X..70", "SHIP TO REG"),
	AI("4307", "X2", "SHIP TO COUNTRY"),
	AI("4308", "X..30", "SHIP TO PHONE"),
	AI("4309", "N20", "SHIP TO GEO"),
	AI("4310", "X..35", "RTN TO COMP"),
	AI("4311", "X..35", "RTN TO NAME"),
	AI("4312", "X..70", "RTN TO ADD1"),
	AI("4313", "X..70", "RTN TO ADD2"),
	AI("4314", "X..70", "RTN TO SUB"),
	AI("4315", "X..70", "RTN TO LOC"),
	AI("4316", "X..70", "RTN TO REG"),
	AI("4317", "X2", "RTN TO COUNTRY"),
	AI("4318", "X..20", "RTN TO POST"),
	AI("4319", "X..30", "RTN TO PHONE"),
	AI("4320", "X..35", "SRV DESCRIPTION"),
	AI("4321", "N1,yesno", "DANGEROUS GOODS"),
	AI("4322", "N1,yesno", "AUTH LEAVE"),
	AI("4323", "N1,yesno", "SIG REQUIRED"),
	AI("4324", "N10,yymmddhhmm", "NBEF DEL DT"),
	AI("4325", "N10,yymmddhhmm", "NAFT DEL DT"),
	AI("4326", "N6,yymmdd", "REL DATE"),
	AI("4330", "N6 [M1]", "MAX TEMP F"),
	AI("4331", "N6 [M1]", "MAX TEMP C"),
	AI("4332", "N6 [M1]", "MIN TEMP F"),
	AI("4333", "N6 [M1]", "MIN TEMP C"),
	AI("7001", "N13", "NSN"),
	AI("7002", "X..30", "MEAT CUT"),
	AI("7003", "N10,yymmddhhmm", "EXPIRY TIME"),
	AI("7004", "N..4", "ACTIVE POTENCY"),
	AI("7005", "X..12", "CATCH AREA"),
	AI("7006", "N6,yymmdd", "FIRST FREEZE DATE"),
	AI("7007", "N6,yymmdd [N6,yymmdd]", "HARVEST DATE"),
	AI("7008", "X..3", "AQUATIC SPECIES"),
	AI("7009", "X..10", "FISHING GEAR TYPE"),
	AI("7010", "X..2", "PROD METHOD"),
	AI("7011", "N6,yymmdd [N4,hhmm]", "TEST BY DATE"),
	AI("7020", "X..20", "REFURB LOT"),
	AI("7021", "X..20", "FUNC STAT"),
	AI("7022", "X..20", "REV STAT"),
	AI("7023", "X..30", "GIAI - ASSEMBLY"),
	AI_N("703", 9, "N3 X..27", "PROCESSOR # s"),
	AI("7040", "N1 X3", "UIC+EXT"),
	AI("7041", "X..4", "UFRGT UNIT TYPE"),
	AI("710", "X..20", "NHRN PZN"),
	AI("711", "X..20", "NHRN CIP"),
	AI("712", "X..20", "NHRN CN"),
	AI("713", "X..20", "NHRN DRN"),
	AI("714", "X..20", "NHRN AIM"),
	AI("715", "X..20", "NHRN NDC"),
	AI("716", "X..20", "NHRN AIC"),
	AI_N("723", 9, "X2 X..28", "CERT # s"),
	AI("7240", "X..20", "PROTOCOL"),
	AI("7241", "N2", "AIDC MEDIA TYPE"),
	AI("7242", "X..25", "VCN"),
	AI("7250", "N8,yyyymmdd", "DOB"),
	AI("7251", "N12,yyyymmddhhmm", "DOB TIME"),
	AI("7252", "N1,iso5218", "BIO SEX"),
	AI("7253", "X..40", "FAMILY NAME"),
	AI("7254", "X..40", "GIVEN NAME"),
	AI("7255", "X..10", "SUFFIX"),
	AI("7256", "X..90", "FULL NAME"),
	AI("7257", "X..70", "PERSON ADDR"),
	AI("7258", "N1 X1 N1", "BIRTH SEQUENCE"),
	AI("7259", "X..40", "BABY"),
	AI("8001", "N14", "DIMENSIONS"),
	AI("8002", "X..20", "CMT No."),
	AI("8003", "N1,zero N13,csum [X..16]", "GRAI"),
	AI("8004", "X..30", "GIAI"),
	AI("8005", "N6", "PRICE PER UNIT"),
	AI("8006", "N14,csum N4,pieceoftotal", "ITIP"),
	AI("8007", "X..34", "IBAN"),
	AI("8008", "N8,yymmddhh [N..4,mmoptss]", "PROD TIME"),
	AI("8009", "X..50", "OPTSEN"),
	AI("8010", "Y..30", "CPID"),
	AI("8011", "N..12", "CPID SERIAL"),
	AI("8012", "X..20", "VERSION"),
	AI("8013", "X..25", "GMN"),
	AI("8014", "X..25", "MUDI"),
	AI("8017", "N18,csum", "GSRN - PROVIDER"),
	AI("8018", "N18,csum", "GSRN - RECIPIENT"),
	AI("8019", "N..10", "SRIN"),
	AI("8020", "X..25", "REF No."),
	AI("8026", "N14,csum N4,pieceoftotal", "ITIP CONTENT"),
	AI("8030", "Z..90", "DIGSIG"),
	AI("8110", "X..70", "COUPON (North America)"),
	AI("8111", "N4", "POINTS"),
	AI("8112", "X..70", "PAPERLESS COUPON (North America)"),
	AI("8200", "X..70", "PRODUCT URL"),
	AI("90", "X..30", "INTERNAL"),
	AI("91", "X..90", "INTERNAL"),
	AI("92", "X..90", "INTERNAL"),
	AI("93", "X..90", "INTERNAL"),
	AI("94", "X..90", "INTERNAL"),
	AI("95", "X..90", "INTERNAL"),
	AI("96", "X..90", "INTERNAL"),
	AI("97", "X..90", "INTERNAL"),
	AI("98", "X..90", "INTERNAL"),
	AI("99", "X..90", "INTERNAL"),
};

const size_t gs1_ai_table_len = sizeof gs1_ai_table / sizeof gs1_ai_table[0];

/* First two digits of the AIs with a predefined value length (GenSpecs
 * figure 7.8.5-1): only these may be followed by another AI without a
 * separator. The lengths here exclude the AI itself. */
static const struct {
	char prefix[3];
	unsigned char value_length;
} predefined_lengths[] = {
	{"00", 18}, {"01", 14}, {"02", 14}, {"03", 14}, {"04", 16}, {"11", 6}, {"12", 6},
	{"13", 6},  {"14", 6},  {"15", 6},  {"16", 6},  {"17", 6},  {"18", 6}, {"19", 6},
	{"20", 2},  {"31", 6},  {"32", 6},  {"33", 6},  {"34", 6},  {"35", 6}, {"36", 6},
	{"41", 13},
};

size_t gs1_predefined_value_length(const char *ai)
{
	for (size_t i = 0; i < sizeof predefined_lengths / sizeof predefined_lengths[0]; i++)
		if (ai[0] == predefined_lengths[i].prefix[0] && ai[1] == predefined_lengths[i].prefix[1])
			return predefined_lengths[i].value_length;
	return 0;
}

/* Does row d describe the AI spelled by the first bytes of s? Writes the
 * complete AI to ai_out. */
static bool row_matches(const struct gs1_ai_def *d, const char *s, size_t len, char ai_out[5])
{
	size_t n = strlen(d->ai);
	if (len < n || memcmp(d->ai, s, n) != 0)
		return false;
	if (d->last_digit_max >= 0) {
		if (len < n + 1 || s[n] < '0' || s[n] > '0' + d->last_digit_max)
			return false;
		n++;
	}
	memcpy(ai_out, s, n);
	ai_out[n] = '\0';
	return true;
}

const struct gs1_ai_def *gs1_ai_lookup_prefix(const char *s, size_t len, char ai_out[5])
{
	for (size_t i = 0; i < gs1_ai_table_len; i++)
		if (row_matches(&gs1_ai_table[i], s, len, ai_out))
			return &gs1_ai_table[i];
	return NULL;
}

const struct gs1_ai_def *gs1_ai_lookup(const char *ai)
{
	char full[5];
	size_t len = strlen(ai);
	const struct gs1_ai_def *d = gs1_ai_lookup_prefix(ai, len, full);
	return d && strlen(full) == len ? d : NULL;
}

int gs1_ai_decimals(const struct gs1_ai_def *def, const char *ai)
{
	if (!def || !def->decimals)
		return -1;
	return ai[strlen(def->ai)] - '0';
}
