/* libFuzzer target: the serial scanner's framing on any byte stream.
 * Byte 0 picks the suffix (none, cr, lf, crlf), a small or large
 * max_length and the size of the chunks the stream arrives in (as reads
 * from the tty); byte 1 says after which chunks the inter-character
 * timeout expires (bit i: after chunk i, i modulo 8). Beyond "no crash, no
 * sanitizer report": every scan is at most max_length bytes, cut ones
 * exactly max_length, none holds its suffix, and scans plus cut bytes add
 * up to the stream minus its suffixes (and minus a CR the timeout ended);
 * when nothing was cut the scans are exactly those bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/scan_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const struct scan_framer *framer;
	unsigned char *joined;  /* scans back to back */
	size_t joined_len;
	size_t total;           /* scan bytes + cut bytes */
	bool any_cut;
};

static void on_frame(void *arg, const unsigned char *frame, size_t len, size_t overflow, bool by_pause)
{
	(void)by_pause;
	struct seen *s = arg;
	const struct scan_framer *f = s->framer;
	if (len == 0 || len > f->max_length || (overflow && len != f->max_length))
		abort();
	if ((f->suffix == SCAN_SUFFIX_CR && memchr(frame, '\r', len)) ||
	    (f->suffix == SCAN_SUFFIX_LF && memchr(frame, '\n', len)))
		abort();
	if (f->suffix == SCAN_SUFFIX_CRLF)
		for (size_t i = 0; i + 1 < len; i++)
			if (frame[i] == '\r' && frame[i + 1] == '\n')
				abort();
	memcpy(s->joined + s->joined_len, frame, len);
	s->joined_len += len;
	s->total += len + overflow;
	s->any_cut = s->any_cut || overflow;
}

/* Appends seg minus its suffixes to out, as the framer must see it when a
 * timeout follows the segment. */
static size_t model_segment(const uint8_t *seg, size_t n, enum scan_suffix suffix, unsigned char *out)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = seg[i];
		if ((suffix == SCAN_SUFFIX_CR && c == '\r') || (suffix == SCAN_SUFFIX_LF && c == '\n'))
			continue;
		if (suffix == SCAN_SUFFIX_CRLF && c == '\r') {
			if (i + 1 == n)
				continue; /* held for its LF when the timeout came: dropped */
			if (seg[i + 1] == '\n') {
				i++;
				continue;
			}
		}
		out[len++] = c;
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	enum scan_suffix suffix = (enum scan_suffix)(data[0] & 3);
	size_t max_length = data[0] & 4 ? 8 : 4096;
	size_t chunk = 1 + (data[0] >> 3);
	uint8_t gaps = data[1];
	const uint8_t *stream = data + 2;
	size_t n = size - 2;

	struct scan_framer f;
	struct seen s = {.framer = &f, .joined = malloc(n + 1)};
	unsigned char *model = malloc(n + 1);
	if (!s.joined || !model || scan_framer_init(&f, suffix, SCAN_HELD_CR_ENDS, max_length, on_frame, &s) != 0)
		abort();
	size_t model_len = 0, seg_start = 0;
	for (size_t at = 0, i = 0; at < n; at += chunk, i++) {
		size_t len = n - at < chunk ? n - at : chunk;
		/* Each read in a buffer of its own size: ASan sees overreads. */
		unsigned char *buf = malloc(len);
		if (!buf)
			abort();
		memcpy(buf, stream + at, len);
		scan_framer_feed(&f, buf, len);
		free(buf);
		if ((gaps >> (i % 8)) & 1 || at + len == n) {
			scan_framer_pause(&f);
			if (scan_framer_busy(&f))
				abort();
			model_len += model_segment(stream + seg_start, at + len - seg_start, suffix, model + model_len);
			seg_start = at + len;
		}
	}
	if (s.total != model_len)
		abort();
	if (!s.any_cut && (s.joined_len != model_len || memcmp(s.joined, model, model_len) != 0))
		abort();
	scan_framer_free(&f);
	free(s.joined);
	free(model);
	return 0;
}
