/* command_parse: what a cloud command on tenant acme's cmd topic may ask
 * for. A replay with or without an end is accepted for acme only; every
 * malformed, foreign, out-of-range or oversized payload is refused with
 * its specific reason, and never read beyond its length. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/command.h"

static int failures, cases;

/* Parses text (its strlen, unless len is given) and expects `want`; for
 * COMMAND_OK also the range from..to. */
static void expect_len(const char *name, const char *text, size_t len, enum command_error want, int64_t from,
		       int64_t to)
{
	cases++;
	/* An exact-size heap copy: ASan sees any read past the payload. */
	char *copy = malloc(len ? len : 1);
	if (!copy)
		exit(1);
	memcpy(copy, text, len);
	struct command cmd;
	memset(&cmd, 0x5A, sizeof cmd);
	enum command_error got = command_parse(copy, len, "acme", &cmd);
	free(copy);
	if (got != want) {
		fprintf(stderr, "FAIL %s: got '%s', wanted '%s'\n", name, command_error_string(got),
			command_error_string(want));
		failures++;
		return;
	}
	if (want == COMMAND_OK && (cmd.op != COMMAND_REPLAY || cmd.from_seq != from || cmd.to_seq != to)) {
		fprintf(stderr, "FAIL %s: got op %d from %lld to %lld, wanted replay %lld..%lld\n", name,
			(int)cmd.op, (long long)cmd.from_seq, (long long)cmd.to_seq, (long long)from, (long long)to);
		failures++;
	}
}

static void expect(const char *name, const char *text, enum command_error want, int64_t from, int64_t to)
{
	expect_len(name, text, strlen(text), want, from, to);
}

static void expect_refused(const char *name, const char *text, enum command_error want)
{
	expect(name, text, want, 0, 0);
}

/* A syntactically valid replay command padded with spaces to `size` bytes. */
static char *padded_command(size_t size)
{
	const char *core = "{\"op\":\"replay\",\"from\":1}";
	char *buf = malloc(size + 1);
	if (!buf)
		exit(1);
	memset(buf, ' ', size);
	memcpy(buf, core, strlen(core));
	buf[size] = '\0';
	return buf;
}

int main(void)
{
	/* Accepted. */
	expect("replay_without_to_is_open_ended", "{\"op\":\"replay\",\"from\":17}", COMMAND_OK, 17, -1);
	expect("replay_with_to", "{\"op\":\"replay\",\"from\":17,\"to\":40}", COMMAND_OK, 17, 40);
	expect("replay_single_event", "{\"op\":\"replay\",\"from\":5,\"to\":5}", COMMAND_OK, 5, 5);
	expect("replay_naming_own_tenant", "{\"tenant\":\"acme\",\"op\":\"replay\",\"from\":1,\"to\":2}", COMMAND_OK,
	       1, 2);
	expect("integral_float_seq", "{\"op\":\"replay\",\"from\":3.0,\"to\":4e1}", COMMAND_OK, 3, 40);
	expect("largest_seq", "{\"op\":\"replay\",\"from\":9000000000000000}", COMMAND_OK, 9000000000000000LL, -1);
	expect("whitespace_around", " \n\t{ \"op\" : \"replay\" , \"from\" : 2 }\r\n", COMMAND_OK, 2, -1);

	/* Tenant binding. */
	expect_refused("other_tenant", "{\"op\":\"replay\",\"from\":1,\"tenant\":\"globex\"}", COMMAND_ERR_OTHER_TENANT);
	expect_refused("tenant_prefix_of_own", "{\"op\":\"replay\",\"from\":1,\"tenant\":\"acm\"}",
		       COMMAND_ERR_OTHER_TENANT);
	expect_refused("tenant_with_suffix", "{\"op\":\"replay\",\"from\":1,\"tenant\":\"acme2\"}",
		       COMMAND_ERR_OTHER_TENANT);
	expect_refused("tenant_not_a_string", "{\"op\":\"replay\",\"from\":1,\"tenant\":null}",
		       COMMAND_ERR_OTHER_TENANT);
	expect_refused("tenant_upper_case", "{\"op\":\"replay\",\"from\":1,\"tenant\":\"ACME\"}",
		       COMMAND_ERR_OTHER_TENANT);

	/* Sequence numbers. */
	expect_refused("from_missing", "{\"op\":\"replay\"}", COMMAND_ERR_RANGE);
	expect_refused("from_zero", "{\"op\":\"replay\",\"from\":0}", COMMAND_ERR_RANGE);
	expect_refused("from_negative", "{\"op\":\"replay\",\"from\":-5}", COMMAND_ERR_RANGE);
	expect_refused("from_fraction", "{\"op\":\"replay\",\"from\":1.5}", COMMAND_ERR_RANGE);
	expect_refused("from_string", "{\"op\":\"replay\",\"from\":\"1\"}", COMMAND_ERR_RANGE);
	expect_refused("from_bool", "{\"op\":\"replay\",\"from\":true}", COMMAND_ERR_RANGE);
	expect_refused("from_null", "{\"op\":\"replay\",\"from\":null}", COMMAND_ERR_RANGE);
	expect_refused("from_array", "{\"op\":\"replay\",\"from\":[1]}", COMMAND_ERR_RANGE);
	expect_refused("from_above_max", "{\"op\":\"replay\",\"from\":9000000000000001}", COMMAND_ERR_RANGE);
	expect_refused("from_huge", "{\"op\":\"replay\",\"from\":1e300}", COMMAND_ERR_RANGE);
	expect_refused("from_overflows_double", "{\"op\":\"replay\",\"from\":1e999}", COMMAND_ERR_RANGE);
	expect_refused("from_minus_overflow", "{\"op\":\"replay\",\"from\":-1e999}", COMMAND_ERR_RANGE);
	expect_refused("to_huge", "{\"op\":\"replay\",\"from\":1,\"to\":18446744073709551616}", COMMAND_ERR_RANGE);
	expect_refused("to_negative_one", "{\"op\":\"replay\",\"from\":1,\"to\":-1}", COMMAND_ERR_RANGE);
	expect_refused("to_before_from", "{\"op\":\"replay\",\"from\":10,\"to\":9}", COMMAND_ERR_RANGE);
	expect_refused("to_null", "{\"op\":\"replay\",\"from\":1,\"to\":null}", COMMAND_ERR_RANGE);
	/* JSON has no NaN or Infinity: such payloads are not JSON at all. */
	expect_refused("from_nan_word", "{\"op\":\"replay\",\"from\":NaN}", COMMAND_ERR_JSON);
	expect_refused("from_infinity_word", "{\"op\":\"replay\",\"from\":Infinity}", COMMAND_ERR_JSON);
	expect_refused("from_nan_string", "{\"op\":\"replay\",\"from\":\"NaN\"}", COMMAND_ERR_RANGE);

	/* Operation. */
	expect_refused("op_missing", "{\"from\":1}", COMMAND_ERR_OP);
	expect_refused("op_unknown", "{\"op\":\"purge\",\"from\":1}", COMMAND_ERR_OP);
	expect_refused("op_case", "{\"op\":\"Replay\",\"from\":1}", COMMAND_ERR_OP);
	expect_refused("op_not_string", "{\"op\":1,\"from\":1}", COMMAND_ERR_OP);

	/* NUL, raw or escaped: a string that strcmp would see shorter. */
	expect_refused("escaped_nul_in_op", "{\"op\":\"replay\\u0000x\",\"from\":1}", COMMAND_ERR_JSON);
	expect_refused("escaped_nul_in_tenant", "{\"op\":\"replay\",\"from\":1,\"tenant\":\"acme\\u0000globex\"}",
		       COMMAND_ERR_JSON);
	expect_len("raw_nul_between_tokens", "{\"op\":\"replay\",\0\"from\":1}", 25, COMMAND_ERR_JSON, 0, 0);

	/* Not a JSON object. */
	expect_refused("array", "[{\"op\":\"replay\",\"from\":1}]", COMMAND_ERR_JSON);
	expect_refused("string", "\"replay\"", COMMAND_ERR_JSON);
	expect_refused("number", "42", COMMAND_ERR_JSON);
	expect_refused("null", "null", COMMAND_ERR_JSON);
	expect_refused("truncated", "{\"op\":\"replay\",\"from\":1", COMMAND_ERR_JSON);
	expect_refused("leading_garbage", "x{\"op\":\"replay\",\"from\":1}",
		       COMMAND_ERR_JSON);
	expect_refused("only_whitespace", "   ", COMMAND_ERR_JSON);

	/* Encoding and size. */
	expect_refused("invalid_utf8", "{\"op\":\"replay\",\"from\":1,\"x\":\"\xff\xfe\"}", COMMAND_ERR_UTF8);
	expect_refused("overlong_utf8_slash", "{\"op\":\"replay\",\"from\":1,\"x\":\"\xc0\xaf\"}", COMMAND_ERR_UTF8);
	expect_refused("utf16_surrogate_in_utf8", "{\"op\":\"replay\",\"from\":1,\"x\":\"\xed\xa0\x80\"}",
		       COMMAND_ERR_UTF8);
	expect_refused("truncated_utf8_at_end", "{\"op\":\"replay\",\"from\":1}\xe2\x82", COMMAND_ERR_UTF8);
	expect("valid_utf8_member", "{\"op\":\"replay\",\"from\":1,\"note\":\"Gr\xc3\xbc\xc3\x9f\x65 \xe2\x82\xac\"}",
	       COMMAND_OK, 1, -1);
	expect_len("empty", "", 0, COMMAND_ERR_SIZE, 0, 0);
	cases++;
	struct command cmd;
	if (command_parse(NULL, 10, "acme", &cmd) != COMMAND_ERR_SIZE) {
		fprintf(stderr, "FAIL null_payload: not refused as size\n");
		failures++;
	}
	char *big = padded_command(COMMAND_MAX_BYTES);
	expect("exactly_max_bytes", big, COMMAND_OK, 1, -1);
	free(big);
	big = padded_command(COMMAND_MAX_BYTES + 1);
	expect_refused("oversized_4097_bytes", big, COMMAND_ERR_SIZE);
	free(big);

	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}
