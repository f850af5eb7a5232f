/* GS1 mod-10 check digits on published example keys (GS1 General
 * Specifications and well-known retail codes), and every single-digit
 * corruption of them being rejected with the expected digit named. */
#include "test_barcode_helpers.h"

#include "drivers/barcode/gs1.h"

struct key_case {
	const char *name;
	const char *digits; /* check digit last */
};

static const struct key_case keys[] = {
	{"GTIN-8", "96385074"},
	{"GTIN-12", "036000291452"},
	{"GTIN-13", "4006381333931"},
	{"GTIN-14", "09506000134352"},
	{"SSCC", "106141412345678908"},
	{"GLN", "0614141000012"},
	{"GSIN", "06141411234567890"},
	{"GSRN", "061414112345678902"},
};

static void test_known_keys_are_valid(void)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		size_t len = strlen(keys[i].digits);
		int cd = gs1_check_digit(keys[i].digits, len - 1);
		CHECK(cd == keys[i].digits[len - 1] - '0', "%s %s: computed %d", keys[i].name, keys[i].digits, cd);
	}
}

static void test_every_wrong_check_digit_is_rejected_via_ai(void)
{
	/* AI 01 with GTIN-14, AI 00 with SSCC, AI 414 with GLN: all nine
	 * wrong check digits give the precise message. */
	const struct {
		const char *ai;
		const char *key;
	} cases[] = {{"01", "09506000134352"}, {"00", "106141412345678908"}, {"414", "0614141000012"},
		     {"410", "0614141000012"}, {"02", "09506000134352"}, {"8018", "061414112345678902"}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char input[64], want[64];
		size_t len = strlen(cases[c].key);
		char right = cases[c].key[len - 1];
		snprintf(input, sizeof input, "]C1%s%s", cases[c].ai, cases[c].key);
		EXPECT_ELEMENT(input, cases[c].ai, cases[c].key);
		for (char d = '0'; d <= '9'; d++) {
			if (d == right)
				continue;
			input[strlen(input) - 1] = d;
			snprintf(want, sizeof want, "AI %s: check digit %c expected, got %c", cases[c].ai, right, d);
			EXPECT_ERROR(input, want);
		}
	}
}

static void test_transposition_and_digit_errors_in_body_are_caught(void)
{
	/* A single changed digit anywhere changes the mod-10 sum. */
	const char *gtin = "09506000134352";
	for (size_t pos = 0; pos < 13; pos++) {
		char bad[15];
		memcpy(bad, gtin, 15);
		bad[pos] = bad[pos] == '9' ? '0' : (char)(bad[pos] + 1);
		CHECK(gs1_check_digit(bad, 13) != 2, "digit %zu changed, check digit still 2", pos);
		char input[32];
		snprintf(input, sizeof input, "]C101%s", bad);
		EXPECT_ERROR(input, "AI 01: check digit");
	}
}

static void test_gtin_8_12_13_through_ean_upc_and_digital_link(void)
{
	EXPECT_ELEMENT("]E496385074", "01", "00000096385074");
	EXPECT_ERROR("]E496385075", "EAN-8: check digit 4 expected, got 5");
	EXPECT_ELEMENT("]E0036000291452", "01", "00036000291452");
	EXPECT_ERROR("]E0036000291453", "UPC-A: check digit 2 expected, got 3");
	EXPECT_ELEMENT("]E04006381333931", "01", "04006381333931");
	EXPECT_ERROR("]E04006381333932", "EAN-13: check digit 1 expected, got 2");
	EXPECT_ELEMENT("https://id.gs1.org/01/96385074", "01", "00000096385074");
	EXPECT_ELEMENT("https://id.gs1.org/01/036000291452", "01", "00036000291452");
	EXPECT_ELEMENT("https://id.gs1.org/01/4006381333931", "01", "04006381333931");
	EXPECT_ERROR("https://id.gs1.org/01/4006381333930", "AI 01: check digit 1 expected, got 0");
}

static void test_non_digits_give_minus_one(void)
{
	CHECK(gs1_check_digit("12A4", 4) == -1, "letter accepted");
	CHECK(gs1_check_digit("", 0) == 0, "empty input");
}

int main(void)
{
	test_known_keys_are_valid();
	test_every_wrong_check_digit_is_rejected_via_ai();
	test_transposition_and_digit_errors_in_body_are_caught();
	test_gtin_8_12_13_through_ean_upc_and_digital_link();
	test_non_digits_give_minus_one();
	return test_report("test_gs1_check_digit");
}
