/* libFuzzer target: a HID keyboard scanner's report stream. The first
 * byte picks the layout (us, uk, de, fr), the suffix framing (none, cr,
 * lf, crlf, tab) and a small or large max_length; the rest is cut into
 * 8-byte boot keyboard reports, decoded by hid_key_decoder_feed and framed
 * by scan_framer as the driver does. A report whose reserved byte has
 * bit 0 set is followed by a pause (the framer is flushed). Beyond "no
 * crash, no sanitizer report":
 *   - a report never writes past HID_KEY_REPORT_MAX_OUT bytes;
 *   - unless it ends an Alt+keypad sequence (a raw byte), what a report
 *     types is valid UTF-8;
 *   - every scan is 1..max_length bytes, holds no suffix, and when nothing
 *     was cut the scans are exactly the typed bytes minus the suffixes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/util.h"
#include "drivers/scan_framing.h"
#include "drivers/hid_keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const layouts[] = {"us", "uk", "de", "fr"};

struct scans {
	struct scan_framer *framer;
	struct strbuf joined;   /* every scan, back to back */
	bool any_cut;
};

static void on_frame(void *arg, const unsigned char *frame, size_t len, size_t overflow, bool by_pause)
{
	struct scans *s = arg;
	(void)by_pause;
	if (len == 0 || len > s->framer->max_length || (overflow && len != s->framer->max_length))
		abort();
	char suffix = s->framer->suffix == SCAN_SUFFIX_CR    ? '\r'
		      : s->framer->suffix == SCAN_SUFFIX_LF  ? '\n'
		      : s->framer->suffix == SCAN_SUFFIX_TAB ? '\t'
								: 0;
	if (suffix && memchr(frame, suffix, len))
		abort();
	if (s->framer->suffix == SCAN_SUFFIX_CRLF)
		for (size_t i = 0; i + 1 < len; i++)
			if (frame[i] == '\r' && frame[i + 1] == '\n')
				abort();
	s->any_cut = s->any_cut || overflow;
	strbuf_append(&s->joined, (const char *)frame, len);
}

/* typed without its suffixes: what the scans must add up to. */
static void strip_suffixes(const struct strbuf *typed, enum scan_suffix suffix, struct strbuf *out)
{
	for (size_t i = 0; i < typed->len; i++) {
		char c = typed->buf[i];
		if ((suffix == SCAN_SUFFIX_CR && c == '\r') || (suffix == SCAN_SUFFIX_LF && c == '\n') ||
		    (suffix == SCAN_SUFFIX_TAB && c == '\t'))
			continue;
		if (suffix == SCAN_SUFFIX_CRLF && c == '\r' && i + 1 < typed->len && typed->buf[i + 1] == '\n') {
			i++;
			continue;
		}
		strbuf_append(out, &c, 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const struct hid_keymap *map = hid_keymap_find(layouts[data[0] & 3]);
	enum scan_suffix suffix = (enum scan_suffix)((data[0] >> 2) % 5);
	size_t max_length = data[0] & 0x80 ? 8 : 4096;
	struct hid_key_decoder keys;
	struct scan_framer framer;
	struct scans s = {.framer = &framer};
	struct strbuf typed, expected;
	strbuf_init(&s.joined);
	strbuf_init(&typed);
	strbuf_init(&expected);
	hid_key_decoder_init(&keys, map);
	if (!map || scan_framer_init(&framer, suffix, SCAN_HELD_CR_IS_DATA, max_length, on_frame, &s) != 0)
		abort();
	/* Exactly the promised size on the heap, so ASan sees any overrun. */
	uint8_t *out = malloc(HID_KEY_REPORT_MAX_OUT);
	uint8_t *report = malloc(HID_BOOT_REPORT_LEN);
	if (!out || !report)
		abort();
	for (size_t at = 1; at + HID_BOOT_REPORT_LEN <= size; at += HID_BOOT_REPORT_LEN) {
		memcpy(report, data + at, HID_BOOT_REPORT_LEN);
		bool alt_before = keys.alt_active;
		int n = hid_key_decoder_feed(&keys, report, out);
		if (n < -1 || n > HID_KEY_REPORT_MAX_OUT)
			abort();
		if (n == -1 && !(report[2] == 1 && report[7] == 1))
			abort(); /* only a rollover report carries no key state */
		if (n > 0 && !alt_before && utf8_invalid_bytes((char *)out, (size_t)n))
			abort();
		for (int i = 0; i < n; i++)
			scan_framer_feed(&framer, &out[i], 1);
		if (n > 0)
			strbuf_append(&typed, (const char *)out, (size_t)n);
		if (report[1] & 1) {
			/* A pause ends everything pending: the model starts over too. */
			scan_framer_pause(&framer);
			strip_suffixes(&typed, suffix, &expected);
			strbuf_reset(&typed);
		}
	}
	scan_framer_pause(&framer);
	if (scan_framer_busy(&framer))
		abort();
	strip_suffixes(&typed, suffix, &expected);
	if (!s.any_cut && !typed.failed && !s.joined.failed &&
	    (expected.len != s.joined.len || (expected.len && memcmp(expected.buf, s.joined.buf, expected.len))))
		abort();
	free(out);
	free(report);
	scan_framer_free(&framer);
	strbuf_free(&s.joined);
	strbuf_free(&typed);
	strbuf_free(&expected);
	return 0;
}
