/* The AI table itself (well-formed, prefix-free, predefined lengths
 * agreeing with formats) and every warehouse AI decoded valid and invalid
 * through the public API. */
#include "test_barcode_helpers.h"

#include "drivers/barcode/gs1.h"

static void test_table_formats_parse_and_ais_are_prefix_free(void)
{
	for (size_t i = 0; i < gs1_ai_table_len; i++) {
		const struct gs1_ai_def *a = &gs1_ai_table[i];
		struct gs1_component comps[GS1_MAX_COMPONENTS];
		CHECK(gs1_format_parse(a->format, comps) > 0, "AI %s: malformed format '%s'", a->ai, a->format);
		size_t alen = strlen(a->ai) + (a->last_digit_max >= 0 ? 1 : 0);
		CHECK(alen >= 2 && alen <= 4, "AI %s: length %zu", a->ai, alen);
		for (size_t j = 0; j < gs1_ai_table_len; j++) {
			if (i == j)
				continue;
			const char *b = gs1_ai_table[j].ai;
			/* b must not be a prefix of a's AIs (nor equal) */
			CHECK(strncmp(a->ai, b, strlen(b)) != 0, "AI %s and %s overlap", a->ai, b);
		}
	}
}

static void test_predefined_length_ais_have_that_fixed_format(void)
{
	for (size_t i = 0; i < gs1_ai_table_len; i++) {
		const struct gs1_ai_def *a = &gs1_ai_table[i];
		size_t pre = gs1_predefined_value_length(a->ai);
		if (!pre)
			continue;
		struct gs1_component comps[GS1_MAX_COMPONENTS];
		size_t n = gs1_format_parse(a->format, comps);
		CHECK(n == 1 && comps[0].min == pre && comps[0].max == pre, "AI %s: predefined length %zu but format %s",
		      a->ai, pre, a->format);
	}
	CHECK(gs1_predefined_value_length("10") == 0, "AI 10 is variable");
	CHECK(gs1_predefined_value_length("3103") == 6, "AI 3103 is predefined");
	CHECK(gs1_predefined_value_length("3900") == 0, "AI 3900 is variable");
	CHECK(gs1_predefined_value_length("414") == 13, "AI 414 is predefined");
}

static void test_lookup(void)
{
	CHECK(gs1_ai_lookup("3103") && gs1_ai_decimals(gs1_ai_lookup("3103"), "3103") == 3, "3103");
	CHECK(gs1_ai_lookup("3106") == NULL, "3106 does not exist");
	CHECK(gs1_ai_lookup("310") == NULL, "310 alone is not an AI");
	CHECK(gs1_ai_lookup("7039") != NULL && gs1_ai_decimals(gs1_ai_lookup("7039"), "7039") == -1, "7039");
	CHECK(gs1_ai_lookup("23") == NULL, "23 is not an AI");
	CHECK(gs1_ai_lookup("3945") == NULL, "394n has n 0-3 only");
}

/* Valid and invalid values for the warehouse AIs listed in the spec. */
static void test_warehouse_ais(void)
{
	EXPECT_ELEMENT("]C100106141412345678908", "00", "106141412345678908");
	EXPECT_ERROR("]C10010614141234567890", "AI 00: 18 digits expected, got 17");
	EXPECT_ERROR("]C1001061414123456789X8", "AI 00: character 'X' at position 17 not allowed (digits only)");
	EXPECT_ELEMENT("]C10109506000134352", "01", "09506000134352");
	EXPECT_ERROR("]C1010950600013435", "AI 01: 14 digits expected, got 13");
	EXPECT_ELEMENT("]C1020950600013435237500", "02", "09506000134352");
	EXPECT_ELEMENT("]C1020950600013435237500", "37", "500");
	EXPECT_ERROR("]C10209506000134353", "AI 02: check digit 2 expected, got 3");
	EXPECT_ELEMENT("]C110ABC-123/x", "10", "ABC-123/x");
	EXPECT_ELEMENT("]C11012345678901234567890", "10", "12345678901234567890");
	EXPECT_ERROR("]C110123456789012345678901", "AI 10: at most 20 characters, got 21");
	EXPECT_ERROR("]C110AB#C", "AI 10: character '#' at position 3 not allowed (GS1 character set 82)");
	EXPECT_ERROR("]C110\x1d", "AI 10: empty value");
	EXPECT_ELEMENT("]C111260131", "11", "260131");
	EXPECT_ERROR("]C111261301", "AI 11: invalid month 13 in date 261301");
	EXPECT_ELEMENT("]C113260100", "13", "260100");
	EXPECT_ERROR("]C11326013", "AI 13: 6 digits expected, got 5");
	EXPECT_ELEMENT("]C115261231", "15", "261231");
	EXPECT_ERROR("]C115260231", "AI 15: invalid day 31 in date 260231 (2026-02 has 28 days)");
	EXPECT_ELEMENT("]C117261231", "17", "261231");
	EXPECT_ERROR("]C117260000", "AI 17: invalid month 00");
	EXPECT_ELEMENT("]C121SN-0001", "21", "SN-0001");
	EXPECT_ERROR("]C121", "AI 21: empty value");
	EXPECT_ERROR("]C121a b", "AI 21: character 0x20 at position 2 not allowed");
	EXPECT_ELEMENT("]C13012345678", "30", "12345678");
	EXPECT_ERROR("]C130123456789", "AI 30: at most 8 digits, got 9");
	EXPECT_ERROR("]C1301A", "AI 30: character 'A' at position 2");
	EXPECT_ELEMENT("]C1371", "37", "1");
	EXPECT_ERROR("]C137", "AI 37: empty value");
	EXPECT_ELEMENT("]C1400PO-4711", "400", "PO-4711");
	EXPECT_ERROR("]C14001234567890123456789012345678901", "AI 400: at most 30 characters, got 31");
	const char *locations[] = {"410", "411", "412", "413", "414", "415", "416", "417"};
	for (size_t i = 0; i < 8; i++) {
		char ok[40], bad[40], shortv[40];
		snprintf(ok, sizeof ok, "]C1%s0614141000012", locations[i]);
		snprintf(bad, sizeof bad, "]C1%s0614141000013", locations[i]);
		snprintf(shortv, sizeof shortv, "]C1%s061414100001", locations[i]);
		EXPECT_ELEMENT(ok, locations[i], "0614141000012");
		char want[64];
		snprintf(want, sizeof want, "AI %s: check digit 2 expected, got 3", locations[i]);
		EXPECT_ERROR(bad, want);
		snprintf(want, sizeof want, "AI %s: 13 digits expected, got 12", locations[i]);
		EXPECT_ERROR(shortv, want);
	}
}

/* 310n-369n: every family GS1 defines, n = 0..5 valid, 6..9 unknown. */
static void test_measure_ais_3100_to_3695(void)
{
	const char *families[] = {"310", "311", "312", "313", "314", "315", "316", "320", "321", "322",
				  "323", "324", "325", "326", "327", "328", "329", "330", "331", "332",
				  "333", "334", "335", "336", "337", "340", "341", "342", "343", "344",
				  "345", "346", "347", "348", "349", "350", "351", "352", "353", "354",
				  "355", "356", "357", "360", "361", "362", "363", "364", "365", "366",
				  "367", "368", "369"};
	const char *rendered[6] = {"1250", "125", "12.5", "1.25", "0.125", "0.0125"};
	size_t n_families = sizeof families / sizeof families[0];
	CHECK(n_families == 53, "53 measure families");
	for (size_t f = 0; f < n_families; f++) {
		for (int n = 0; n <= 9; n++) {
			char ai[5], input[32];
			snprintf(ai, sizeof ai, "%s%d", families[f], n);
			snprintf(input, sizeof input, "]C1%s001250", ai);
			if (n > 5) {
				char want[48];
				snprintf(want, sizeof want, "unknown AI at position 0: \"%s\"", ai);
				EXPECT_ERROR(input, want);
				continue;
			}
			EXPECT_ELEMENT(input, ai, "001250");
			struct decoded d = decode_str(input);
			const cJSON *m = d.json ? cJSON_GetObjectItem(cJSON_GetObjectItem(d.json, "measures"), ai) : NULL;
			char *num = m ? cJSON_PrintUnformatted(m) : NULL;
			CHECK(num && strcmp(num, rendered[n]) == 0, "%s: measure %s, want %s (%s)", ai, num ? num : "-",
			      rendered[n], d.text);
			free(num);
			decoded_free(&d);
			/* a predefined length: 5 digits is short, 7 digits spill into an AI */
			snprintf(input, sizeof input, "]C1%s00125", ai);
			EXPECT_ERROR(input, "6 digits expected, got 5");
		}
	}
	/* no separator needed after a measure */
	EXPECT_ELEMENT("]C13103001500" "10LOT1", "10", "LOT1");
	EXPECT_ELEMENT("]C13103001500" "10LOT1", "3103", "001500");
}

/* A sample of the rest of the table, each with its particular rule. */
static void test_other_ais(void)
{
	EXPECT_ELEMENT("]C1253061414100001212345", "253", "061414100001212345"); /* GDTI + serial */
	EXPECT_ERROR("]C12530614141000013", "AI 253: check digit 2 expected, got 3");
	EXPECT_ELEMENT("]C180030061414100001212", "8003", "0061414100001212");
	EXPECT_ERROR("]C180031061414100001212", "AI 8003: digit 1 must be 0");
	EXPECT_ELEMENT("]C170032612311430", "7003", "2612311430");
	EXPECT_ERROR("]C170032612312460", "AI 7003: invalid hour 24");
	EXPECT_ERROR("]C170032612311460", "AI 7003: invalid minute 60");
	EXPECT_ELEMENT("]C14330001234-", "4330", "001234-");
	EXPECT_ERROR("]C14330001234+", "AI 4330: character '+' at position 7 not allowed (only '-')");
	EXPECT_ELEMENT("]C1800826123114", "8008", "26123114");
	EXPECT_ERROR("]C18008261231143", "AI 8008: minutes and seconds: 2 or 4 digits expected, got 1");
	EXPECT_ELEMENT("]C17007260101260105", "7007", "260101260105");
	EXPECT_ERROR("]C1700726010126010", "AI 7007:");
	EXPECT_ELEMENT("]C18006095060001343520102", "8006", "095060001343520102");
	EXPECT_ERROR("]C18006095060001343520302", "AI 8006: piece 03 of total 02 is not valid");
	EXPECT_ELEMENT("]C13912978000123", "3912", "978000123");
	EXPECT_ELEMENT("]C14321" "1", "4321", "1");
	EXPECT_ERROR("]C143212", "AI 4321: 0 or 1 expected, got 2");
	EXPECT_ELEMENT("]C18010ABC#-/123", "8010", "ABC#-/123");
	EXPECT_ERROR("]C18010abc", "AI 8010: character 'a' at position 1 not allowed (GS1 character set 39)");
	EXPECT_ELEMENT("]C18030AbC-_=", "8030", "AbC-_=");
	EXPECT_ERROR("]C18030Ab+", "GS1 character set 64");
	EXPECT_ELEMENT("]C1725019991231", "7250", "19991231");
	EXPECT_ERROR("]C1725019990229", "AI 7250: invalid day 29 in date 19990229 (1999-02 has 28 days)");
	EXPECT_ELEMENT("]C17030276ABC", "7030", "276ABC");
	EXPECT_ELEMENT("]C191" "internal-1", "91", "internal-1");
	EXPECT_ELEMENT("]C14307DE", "4307", "DE");
	EXPECT_ERROR("]C14307DEU", "AI 4307: 2 characters expected, got 3");
}

int main(void)
{
	test_table_formats_parse_and_ais_are_prefix_free();
	test_predefined_length_ais_have_that_fixed_format();
	test_lookup();
	test_warehouse_ais();
	test_measure_ais_3100_to_3695();
	test_other_ais();
	return test_report("test_gs1_ai_table");
}
