/* GS1 element string syntax: predefined-length AIs need no separator,
 * variable-length ones end at GS or at the end of the data, leading FNC1
 * as GS, duplicates, pair rules and limits. */
#include "test_barcode_helpers.h"

#define GS "\x1d"

static void expect_elements(const char *input, const char *const *pairs, size_t n, int line)
{
	struct decoded d = decode_str(input);
	CHECK(d.scan.error[0] == '\0', "line %d: unexpected error '%s'", line, d.scan.error);
	CHECK(d.scan.n_elements == n, "line %d: %zu elements, want %zu: %s", line, d.scan.n_elements, n, d.text);
	for (size_t i = 0; i < n && i < d.scan.n_elements; i++) {
		CHECK(strcmp(d.scan.elements[i].ai, pairs[2 * i]) == 0 &&
			      strcmp(d.scan.elements[i].value, pairs[2 * i + 1]) == 0,
		      "line %d: element %zu is %s=%s, want %s=%s", line, i, d.scan.elements[i].ai,
		      d.scan.elements[i].value, pairs[2 * i], pairs[2 * i + 1]);
	}
	/* JSON "gs1" holds the same, in order */
	const cJSON *gs1 = d.json ? cJSON_GetObjectItem(d.json, "gs1") : NULL;
	CHECK(gs1 && (size_t)cJSON_GetArraySize(gs1) == n, "line %d: JSON gs1 size: %s", line, d.text);
	decoded_free(&d);
}
#define EXPECT_ELEMENTS(input, ...)                                                     \
	do {                                                                            \
		static const char *const pairs_[] = {__VA_ARGS__};                      \
		expect_elements(input, pairs_, sizeof pairs_ / sizeof pairs_[0] / 2, __LINE__); \
	} while (0)

static void test_variable_length_fields_with_and_without_gs(void)
{
	EXPECT_ELEMENTS("]C10109506000134352" "10ABC" GS "21XYZ", "01", "09506000134352", "10", "ABC", "21", "XYZ");
	/* last field needs no GS */
	EXPECT_ELEMENTS("]C11012345" GS "17261231", "10", "12345", "17", "261231");
	/* fixed fields follow each other without GS */
	EXPECT_ELEMENTS("]C1010950600013435217261231" "3103001500" "10L1", "01", "09506000134352", "17", "261231",
			"3103", "001500", "10", "L1");
	/* a GS after a predefined-length field is tolerated */
	EXPECT_ELEMENTS("]C10109506000134352" GS "10ABC", "01", "09506000134352", "10", "ABC");
	/* a trailing GS is tolerated */
	EXPECT_ELEMENTS("]C110ABC" GS, "10", "ABC");
	/* without the GS, a lot absorbs what follows: valid, but one field */
	EXPECT_ELEMENTS("]C110ABC17261231", "10", "ABC17261231");
	EXPECT_ELEMENTS("]C1" GS "0109506000134352", "01", "09506000134352");
	EXPECT_ELEMENTS("]C100106141412345678908" "02" "09506000134352" "37" "20", "00", "106141412345678908",
			"02", "09506000134352", "37", "20");
	/* GS1 DataMatrix and QR: same syntax behind their AIM ids */
	EXPECT_ELEMENTS("]d2" "0109506000134352" "10A" GS "17270100", "01", "09506000134352", "10", "A", "17", "270100");
	EXPECT_ELEMENTS("]Q3" "0109506000134352" "21S1", "01", "09506000134352", "21", "S1");
	EXPECT_ELEMENTS("]e0" "0109506000134352" "3922" "499", "01", "09506000134352", "3922", "499");
	EXPECT_ELEMENTS("]J1" "414" "0614141000012", "414", "0614141000012");
}

static void test_leading_gs_without_aim_is_gs1(void)
{
	EXPECT_ELEMENTS(GS "0109506000134352" "10ABC", "01", "09506000134352", "10", "ABC");
	struct decoded d = decode_str("0109506000134352");
	CHECK(!d.scan.is_gs1 && d.scan.n_elements == 0 && !d.scan.error[0],
	      "digits without AIM id or GS are not guessed to be GS1: %s", d.text);
	decoded_free(&d);
}

static void test_syntax_errors(void)
{
	EXPECT_ERROR("]C1", "GS1 element string is empty");
	EXPECT_ERROR("]C1" GS, "GS1 element string is empty");
	EXPECT_ERROR("]C110A" GS GS "21B", "unexpected GS separator at position 4");
	EXPECT_ERROR("]C1230123", "unknown AI at position 0: \"2301\"");
	EXPECT_ERROR("]C1ABC", "AI expected at position 0, got 'A'");
	EXPECT_ERROR("]C10109506000134352" "X", "AI expected at position 16, got 'X'");
	EXPECT_ERROR("]C10109506000134352" "1", "AI expected at position 16, got only one digit");
	/* a GS inside a predefined-length field: the field is short */
	EXPECT_ERROR("]C101095060" GS "00134352", "AI 01: 14 digits expected, got 6");
	EXPECT_ERROR("]C10109506000134352" "0109506000134369", "AI 01 appears twice with different values");
	EXPECT_ELEMENTS("]C10109506000134352" "0109506000134352", "01", "09506000134352");
	EXPECT_ERROR("]C10109506000134352" "0209506000134352", "AI 01 and AI 02 must not appear together");
}

static void test_element_limit(void)
{
	/* 33 distinct AIs (91 repeats would merge): 91-99 and 240, 241, ... */
	char input[1024] = "]C1";
	const char *ais[] = {"91", "92", "93", "94", "95", "96", "97", "98", "99", "240", "241", "250",
			     "251", "400", "401", "403", "420", "4300", "4301", "4302", "4303", "4304",
			     "4305", "4306", "4308", "4310", "4311", "4312", "4313", "4314", "4315",
			     "4316", "4318"};
	for (size_t i = 0; i < 32; i++)
		snprintf(input + strlen(input), sizeof input - strlen(input), "%sv" GS, ais[i]);
	struct decoded d = decode_str(input);
	CHECK(d.scan.n_elements == 32 && !d.scan.error[0], "32 elements fit: %s", d.scan.error);
	decoded_free(&d);
	snprintf(input + strlen(input), sizeof input - strlen(input), "%sv", ais[32]);
	EXPECT_ERROR(input, "more than 32 GS1 elements");
}

static void test_longest_values(void)
{
	char input[128] = "]C17256";
	for (int i = 0; i < 90; i++)
		strcat(input, "N");
	struct decoded d = decode_str(input);
	CHECK(!d.scan.error[0] && d.scan.n_elements == 1 && strlen(d.scan.elements[0].value) == 90,
	      "90-character value: %s", d.scan.error);
	decoded_free(&d);
	strcat(input, "N");
	EXPECT_ERROR(input, "AI 7256: at most 90 characters, got 91");
}

int main(void)
{
	test_variable_length_fields_with_and_without_gs();
	test_leading_gs_without_aim_is_gs1();
	test_syntax_errors();
	test_element_limit();
	test_longest_values();
	return test_report("test_gs1_element_string");
}
