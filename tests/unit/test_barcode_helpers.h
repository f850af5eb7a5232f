/* Shared by the barcode and GS1 unit tests: decode a scan through the
 * public API, check the JSON with cJSON, and count failures. */
#ifndef TEST_BARCODE_HELPERS_H
#define TEST_BARCODE_HELPERS_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/util.h"
#include "drivers/barcode/barcode.h"

static int test_failures;
static int test_checks;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		test_checks++;                                              \
		if (!(cond)) {                                              \
			test_failures++;                                    \
			fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

/* Reference year fixed so the GS1 century rule gives the same answer
 * whenever the tests run. */
#define TEST_REFERENCE_YEAR 2026

struct decoded {
	struct barcode_scan scan;
	cJSON *json;     /* parsed event data; NULL if it was not valid JSON */
	char *text;      /* the JSON text, owned */
};

static __attribute__((unused)) void decoded_free(struct decoded *d)
{
	cJSON_Delete(d->json);
	free(d->text);
	d->json = NULL;
	d->text = NULL;
}

/* Decodes len bytes with the given AIM mode. The JSON must always parse
 * and be valid UTF-8; that is checked here for every test. */
static __attribute__((unused)) struct decoded decode_bytes(const char *raw, size_t len, enum barcode_aim_mode mode)
{
	struct decoded d;
	struct barcode_options opt = {.aim_mode = mode, .reference_year = TEST_REFERENCE_YEAR};
	struct strbuf out;
	strbuf_init(&out);
	barcode_decode((const unsigned char *)raw, len, &opt, &d.scan, &out);
	CHECK(!out.failed, "output allocation failed");
	d.text = strbuf_steal(&out);
	CHECK(utf8_invalid_bytes(d.text, strlen(d.text)) == 0, "output is not valid UTF-8: %s", d.text);
	d.json = cJSON_Parse(d.text);
	CHECK(d.json && cJSON_IsObject(d.json), "output is not a JSON object: %s", d.text);
	return d;
}

static __attribute__((unused)) struct decoded decode_str(const char *s) { return decode_bytes(s, strlen(s), BARCODE_AIM_AUTO); }

static __attribute__((unused)) const char *json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static __attribute__((unused)) const char *json_sub_str(const cJSON *obj, const char *sub, const char *key)
{
	return json_str(cJSON_GetObjectItemCaseSensitive(obj, sub), key);
}

/* The scan decodes without error and AI `ai` has exactly `value`, both in
 * the scan struct and in the JSON "gs1" object. */
static __attribute__((unused)) void expect_element(const char *input, const char *ai, const char *value, int line)
{
	struct decoded d = decode_str(input);
	const char *got = barcode_scan_get(&d.scan, ai);
	const char *json_got = d.json ? json_sub_str(d.json, "gs1", ai) : NULL;
	CHECK(d.scan.error[0] == '\0', "line %d: %s: unexpected error '%s'", line, input, d.scan.error);
	CHECK(got && strcmp(got, value) == 0, "line %d: %s: AI %s is '%s', want '%s'", line, input, ai,
	      got ? got : "(none)", value);
	CHECK(json_got && strcmp(json_got, value) == 0, "line %d: %s: JSON gs1.%s wrong: %s", line, input,
	      ai, d.text);
	decoded_free(&d);
}

/* The scan fails to decode with an error containing `needle`, keeps its
 * raw text in JSON, and carries no GS1 elements. */
static __attribute__((unused)) void expect_error(const char *input, const char *needle, int line)
{
	struct decoded d = decode_str(input);
	const char *err = d.json ? json_str(d.json, "error") : NULL;
	CHECK(d.scan.error[0] && strstr(d.scan.error, needle), "line %d: %s: error '%s', want '%s'", line,
	      input, d.scan.error, needle);
	CHECK(err && strcmp(err, d.scan.error) == 0, "line %d: JSON error differs: %s", line, d.text);
	CHECK(d.scan.n_elements == 0 && (!d.json || !cJSON_GetObjectItem(d.json, "gs1")),
	      "line %d: %s: elements kept despite error: %s", line, input, d.text);
	const char *text = d.json ? json_str(d.json, "text") : NULL;
	CHECK(text && strcmp(text, input) == 0, "line %d: text not kept: %s", line, d.text);
	decoded_free(&d);
}

#define EXPECT_ELEMENT(input, ai, value) expect_element(input, ai, value, __LINE__)
#define EXPECT_ERROR(input, needle) expect_error(input, needle, __LINE__)

static __attribute__((unused)) int test_report(const char *name)
{
	printf("%s: %d checks, %d failures\n", name, test_checks, test_failures);
	return test_failures ? 1 : 0;
}

#endif
