/* AIM symbology identifiers under the three aim_prefix modes, symbology
 * names, and EAN-13 / UPC-A / UPC-E / EAN-8 check digits behind ]E ids. */
#include "test_barcode_helpers.h"

static void expect_aim(const char *input, enum barcode_aim_mode mode, const char *aim, const char *symbology,
		       const char *error_part, int line)
{
	struct decoded d = decode_bytes(input, strlen(input), mode);
	CHECK(strcmp(d.scan.aim, aim) == 0, "line %d: aim '%s', want '%s'", line, d.scan.aim, aim);
	CHECK(strcmp(d.scan.symbology, symbology) == 0, "line %d: symbology '%s', want '%s'", line,
	      d.scan.symbology, symbology);
	const char *ja = d.json ? json_str(d.json, "aim") : NULL;
	CHECK(aim[0] ? ja && strcmp(ja, aim) == 0 : ja == NULL, "line %d: JSON aim: %s", line, d.text);
	const char *js = d.json ? json_str(d.json, "text") : NULL;
	CHECK(js && strcmp(js, input) == 0, "line %d: text must keep the AIM prefix: %s", line, d.text);
	if (error_part)
		CHECK(strstr(d.scan.error, error_part), "line %d: error '%s', want '%s'", line, d.scan.error, error_part);
	else
		CHECK(!d.scan.error[0], "line %d: unexpected error '%s'", line, d.scan.error);
	decoded_free(&d);
}
#define EXPECT_AIM(input, mode, aim, sym, err) expect_aim(input, mode, aim, sym, err, __LINE__)

static void test_modes(void)
{
	EXPECT_AIM("]C1" "0109506000134352", BARCODE_AIM_AUTO, "]C1", "gs1-128", NULL);
	EXPECT_AIM("]C1" "0109506000134352", BARCODE_AIM_YES, "]C1", "gs1-128", NULL);
	EXPECT_AIM("]C1" "0109506000134352", BARCODE_AIM_NO, "", "", NULL);
	EXPECT_AIM("ABC123", BARCODE_AIM_AUTO, "", "", NULL);
	EXPECT_AIM("ABC123", BARCODE_AIM_YES, "", "", "missing AIM symbology identifier");
	EXPECT_AIM("", BARCODE_AIM_YES, "", "", "missing AIM symbology identifier");
	EXPECT_AIM("]?1data", BARCODE_AIM_YES, "", "", "invalid AIM symbology identifier \"]?1\"");
	EXPECT_AIM("]C", BARCODE_AIM_YES, "", "", "invalid AIM symbology identifier \"]C\"");
	EXPECT_AIM("]C\x01" "x", BARCODE_AIM_YES, "", "", "invalid AIM symbology identifier \"]C\\x01\"");
	EXPECT_AIM("]?1data", BARCODE_AIM_AUTO, "", "", NULL);   /* data that starts with ']' */
	EXPECT_AIM("]Widget", BARCODE_AIM_AUTO, "", "", NULL);   /* W is no AIM code character */
}

static void test_symbology_names(void)
{
	const struct {
		const char *aim, *name;
	} names[] = {{"]A0", "code-39"},  {"]C0", "code-128"},    {"]C1", "gs1-128"},
		     {"]E0", "ean-13"},   {"]F0", "codabar"},     {"]G0", "code-93"},
		     {"]I0", "itf"},      {"]L0", "pdf417"},      {"]Q1", "qr-code"},
		     {"]Q3", "gs1-qr-code"}, {"]d1", "data-matrix"}, {"]d2", "gs1-data-matrix"},
		     {"]e0", "gs1-databar"}, {"]z0", "aztec"},     {"]J0", "dotcode"},
		     {"]J1", "gs1-dotcode"}, {"]U0", "maxicode"},  {"]X0", "other"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char input[32];
		/* data that decodes for every one of them */
		const char *payload = names[i].aim[1] == 'E' ? "4006381333931" : "0109506000134352";
		snprintf(input, sizeof input, "%s%s", names[i].aim, payload);
		EXPECT_AIM(input, BARCODE_AIM_AUTO, names[i].aim, names[i].name, NULL);
	}
}

static void test_ean_upc(void)
{
	EXPECT_AIM("]E04006381333931", BARCODE_AIM_AUTO, "]E0", "ean-13", NULL);
	EXPECT_ELEMENT("]E04006381333931", "01", "04006381333931");
	EXPECT_AIM("]E0036000291452", BARCODE_AIM_AUTO, "]E0", "upc-a", NULL);
	EXPECT_ELEMENT("]E0036000291452", "01", "00036000291452");
	EXPECT_AIM("]E001234565", BARCODE_AIM_AUTO, "]E0", "upc-e", NULL);
	EXPECT_ELEMENT("]E001234565", "01", "00012345000065");
	EXPECT_ERROR("]E001234566", "UPC-E: check digit 5 expected, got 6");
	EXPECT_ERROR("]E021234565", "UPC-E: number system 0 or 1 expected");
	EXPECT_ERROR("]E0400638133393", "UPC-A: check digit 0 expected, got 3");
	EXPECT_ERROR("]E040063813339310", "EAN-13/UPC-A: 12 (UPC-A), 13 (EAN-13) or 8 (UPC-E) digits expected, got 14");
	EXPECT_ERROR("]E0400638133393A", "EAN/UPC: character 'A' at position 13 is not a digit");
	EXPECT_AIM("]E496385074", BARCODE_AIM_AUTO, "]E4", "ean-8", NULL);
	EXPECT_ERROR("]E49638507", "EAN-8: 8 digits expected, got 7");
	EXPECT_ELEMENT("]E3" "4006381333931" "12", "01", "04006381333931");
	EXPECT_ELEMENT("]E3" "036000291452" "12345", "01", "00036000291452");
	EXPECT_ERROR("]E3" "4006381333932" "12", "EAN-13: check digit 1 expected, got 2");
	EXPECT_ERROR("]E3" "40063813339", "12 or 13 digits plus a 2 or 5 digit add-on expected, got 11");
	EXPECT_AIM("]E112", BARCODE_AIM_AUTO, "]E1", "ean-upc-add-on-2", NULL);
	/* EAN without AIM id is not guessed */
	struct decoded d = decode_str("4006381333931");
	CHECK(d.scan.n_elements == 0 && !d.scan.is_gs1, "bare digits stay plain data");
	decoded_free(&d);
}

static void test_options_from_profile_default(void)
{
	struct barcode_options opt;
	barcode_options_from_profile(NULL, &opt);
	CHECK(opt.aim_mode == BARCODE_AIM_AUTO && opt.reference_year == 0, "defaults: auto, this year");
}

int main(void)
{
	test_modes();
	test_symbology_names();
	test_ean_upc();
	test_options_from_profile_default();
	return test_report("test_barcode_aim");
}
