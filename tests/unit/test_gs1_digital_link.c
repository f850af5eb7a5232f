/* GS1 Digital Link URIs: any domain and path prefix, primary key and
 * qualifiers in the path, AIs in the query, percent-decoding, GTIN
 * normalisation, and the same value checks as element strings. */
#include "test_barcode_helpers.h"

static void test_path_and_query(void)
{
	const char *uri = "https://id.gs1.org/01/09506000134352/10/ABC?17=261231";
	EXPECT_ELEMENT(uri, "01", "09506000134352");
	EXPECT_ELEMENT(uri, "10", "ABC");
	EXPECT_ELEMENT(uri, "17", "261231");
	struct decoded d = decode_str(uri);
	const cJSON *dl = d.json ? cJSON_GetObjectItem(d.json, "digital_link") : NULL;
	CHECK(cJSON_IsTrue(dl) && d.scan.digital_link && d.scan.is_gs1, "digital_link flag: %s", d.text);
	CHECK(d.json && json_sub_str(d.json, "dates", "17") && strcmp(json_sub_str(d.json, "dates", "17"), "2026-12-31") == 0,
	      "date rendered: %s", d.text);
	decoded_free(&d);

	/* any domain, a path prefix, http, qualifiers 22/10/21 in order */
	const char *full = "http://brand.example.com/products/x/01/09506000134352/22/2A/10/L-1/21/S1?3103=000750&linkType=gs1:pip#top";
	EXPECT_ELEMENT(full, "22", "2A");
	EXPECT_ELEMENT(full, "10", "L-1");
	EXPECT_ELEMENT(full, "21", "S1");
	EXPECT_ELEMENT(full, "3103", "000750");
	d = decode_str(full);
	CHECK(d.scan.n_elements == 5, "linkType is not an AI, fragment ignored: %s", d.text);
	decoded_free(&d);

	EXPECT_ELEMENT("HTTPS://EXAMPLE.ORG/00/106141412345678908", "00", "106141412345678908");
	EXPECT_ELEMENT("https://example.org/414/0614141000012/254/A1", "254", "A1");
	EXPECT_ELEMENT("https://example.org/8004/0614141ABC-1", "8004", "0614141ABC-1");
	EXPECT_ELEMENT("https://example.org/01/09506000134352/", "01", "09506000134352");
	/* AIM id of a plain QR code in front is fine */
	EXPECT_ELEMENT("]Q1https://id.gs1.org/01/09506000134352", "01", "09506000134352");
}

static void test_percent_decoding(void)
{
	EXPECT_ELEMENT("https://id.gs1.org/01/09506000134352/10/AB%2FC%25", "10", "AB/C%");
	EXPECT_ELEMENT("https://id.gs1.org/01/09506000134352/21/%41%62c", "21", "Abc");
	EXPECT_ELEMENT("https://id.gs1.org/01/09506000134352?10=%22q%22", "10", "\"q\"");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/10/AB%2", "AI 10: malformed percent-encoding");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/10/AB%zz", "AI 10: malformed percent-encoding");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/10/A%20B", "AI 10: character 0x20 at position 2 not allowed");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/10/A%1DB", "AI 10: character 0x1D at position 2 not allowed");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/10/A%00B", "AI 10: character 0x00 at position 2 not allowed");
}

static void test_bad_ais_and_values(void)
{
	EXPECT_ERROR("https://id.gs1.org/01/09506000134353", "AI 01: check digit 2 expected, got 3");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134", "AI 01: 14 digits expected, got 11");
	/* 13 digits are a GTIN-13, padded before the check */
	EXPECT_ERROR("https://id.gs1.org/01/0950600013435", "AI 01: check digit 9 expected, got 5");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/17/261231", "AI 17 is not a path qualifier of AI 01");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/21/S/10/L", "AI 10 is not a path qualifier of AI 01 (or out of order)");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352/ab/x", "path segment 3 is not an AI");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352?23=5", "Digital Link: unknown AI 23 in query");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352?123456=5", "Digital Link: unknown AI 123456 in query");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352?17=261301", "AI 17: invalid month 13");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352?17=", "AI 17: empty value");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352?01=09506000134369", "AI 01 appears twice with different values");
	EXPECT_ERROR("https://id.gs1.org/01/09506000134352?02=09506000134352", "AI 01 and AI 02 must not appear together");
}

static void test_plain_urls_are_not_gs1(void)
{
	const char *plain[] = {"https://example.com/", "https://example.com/shop/item?id=5",
			       "https://example.com/01", "ftp://example.com/01/09506000134352",
			       "https:///01/09506000134352", "https://example.com/x/01/09506000134352/10"};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		struct decoded d = decode_str(plain[i]);
		CHECK(!d.scan.is_gs1 && !d.scan.error[0] && d.json && !cJSON_GetObjectItem(d.json, "gs1"),
		      "%s is plain data: %s", plain[i], d.text);
		decoded_free(&d);
	}
}

int main(void)
{
	test_path_and_query();
	test_percent_decoding();
	test_bad_ais_and_values();
	test_plain_urls_are_not_gs1();
	return test_report("test_gs1_digital_link");
}
