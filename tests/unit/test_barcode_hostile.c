/* Hostile scanner bytes: random data (fixed seed, bounded count) under
 * every AIM mode, biased towards GS1 and Digital Link prefixes so the
 * parsers are reached. Every output must be a JSON object that cJSON
 * parses, valid UTF-8, with the text kept and NUL / invalid UTF-8 bytes
 * counted exactly. */
#include "test_barcode_helpers.h"

#include <stdint.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
	/* xorshift64*: deterministic, good enough to spread bytes */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static const char *const prefixes[] = {
	"", "]C1", "]d2", "]Q3", "]e0", "]J1", "]E0", "]E3", "]E4", "]Q1https://id.gs1.org/01/",
	"https://id.gs1.org/01/09506000134352/", "http://x/01/09506000134352?", "\x1d", "]", "]C",
};

static void check_one(const unsigned char *buf, size_t len, enum barcode_aim_mode mode)
{
	struct decoded d = decode_bytes((const char *)buf, len, mode);
	size_t nul = 0;
	for (size_t i = 0; i < len; i++)
		nul += buf[i] == 0;
	CHECK(d.scan.nul_bytes == nul, "nul_bytes %zu, want %zu", d.scan.nul_bytes, nul);
	size_t bad = utf8_invalid_bytes((const char *)buf, len);
	CHECK(d.scan.invalid_utf8 == bad, "invalid_utf8 %zu, want %zu", d.scan.invalid_utf8, bad);
	const cJSON *text = d.json ? cJSON_GetObjectItem(d.json, "text") : NULL;
	CHECK(cJSON_IsString(text), "text missing: %s", d.text);
	/* Without NUL and invalid bytes, the text comes back byte for byte. */
	if (text && nul == 0 && bad == 0)
		CHECK(strlen(text->valuestring) == len && memcmp(text->valuestring, buf, len) == 0, "text changed");
	if (d.scan.error[0])
		CHECK(d.scan.n_elements == 0, "elements kept with error");
	for (size_t i = 0; i < d.scan.n_elements; i++)
		CHECK(strlen(d.scan.elements[i].value) <= GS1_VALUE_MAX, "value overflow");
	if (test_failures > 20)
		exit(1);
	decoded_free(&d);
}

static void test_random_bytes(void)
{
	unsigned char buf[512];
	const int rounds = 30000;
	for (int r = 0; r < rounds; r++) {
		const char *prefix = prefixes[rng() % (sizeof prefixes / sizeof prefixes[0])];
		size_t plen = strlen(prefix);
		memcpy(buf, prefix, plen);
		size_t len = plen + rng() % (sizeof buf - plen);
		unsigned kind = rng() % 3;
		for (size_t i = plen; i < len; i++) {
			uint32_t x = rng();
			if (kind == 0)
				buf[i] = (unsigned char)x; /* any byte */
			else if (kind == 1)
				buf[i] = (unsigned char)("0123456789\x1d%/?&=ABC"[x % 19]); /* GS1-ish */
			else
				buf[i] = (unsigned char)(x % 10 + '0');
		}
		check_one(buf, len, (enum barcode_aim_mode)(r % 3));
	}
	printf("random inputs decoded: %d\n", rounds);
}

static void test_specific_hostile_inputs(void)
{
	const struct {
		const char *data;
		size_t len;
	} cases[] = {
		{"", 0},
		{"\0\0\0", 3},
		{"]C1\0", 4},
		{"]\xff\xfe", 3},
		{"]C1\xc3\x28", 5},                      /* invalid UTF-8 continuation */
		{"\xed\xa0\x80", 3},                      /* surrogate */
		{"\xf4\x90\x80\x80", 4},                  /* above U+10FFFF */
		{"\xc0\xaf", 2},                          /* overlong '/' */
		{"https://id.gs1.org/01/%", 23},
		{"https://id.gs1.org/01/%0", 24},
		{"https://id.gs1.org/01/09506000134352?&&==&", 42},
		{"]C110\"\\\x7f", 9},
		{"]E0\xe2\x82\xac", 6},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (int m = 0; m < 3; m++)
			check_one((const unsigned char *)cases[i].data, cases[i].len, (enum barcode_aim_mode)m);
}

static void test_overlong_inputs(void)
{
	size_t len = 1 << 20;
	unsigned char *big = malloc(len);
	CHECK(big != NULL, "malloc");
	if (!big)
		return;
	memcpy(big, "]C110", 5);
	memset(big + 5, 'A', len - 5);
	check_one(big, len, BARCODE_AIM_AUTO);
	memcpy(big, "https://a/01/", 13);
	memset(big + 13, '1', len - 13);
	check_one(big, len, BARCODE_AIM_AUTO);
	/* many path segments */
	for (size_t i = 13; i + 1 < len; i += 2)
		big[i] = '/', big[i + 1] = '1';
	check_one(big, len, BARCODE_AIM_AUTO);
	free(big);
}

int main(void)
{
	test_specific_hostile_inputs();
	test_overlong_inputs();
	test_random_bytes();
	return test_report("test_barcode_hostile");
}
