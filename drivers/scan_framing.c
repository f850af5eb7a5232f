/* Suffix and pause framing of scans; see scan_framing.h. */
#include "drivers/scan_framing.h"

#include <stdlib.h>
#include <string.h>

enum scan_suffix scan_suffix_parse(const char *s)
{
	if (strcmp(s, "lf") == 0)
		return SCAN_SUFFIX_LF;
	if (strcmp(s, "crlf") == 0)
		return SCAN_SUFFIX_CRLF;
	if (strcmp(s, "tab") == 0)
		return SCAN_SUFFIX_TAB;
	if (strcmp(s, "none") == 0)
		return SCAN_SUFFIX_NONE;
	return SCAN_SUFFIX_CR;
}

int scan_framer_init(struct scan_framer *f, enum scan_suffix suffix, enum scan_held_cr held_cr,
		     size_t max_length, scan_frame_fn on_frame, void *arg)
{
	memset(f, 0, sizeof *f);
	f->suffix = suffix;
	f->held_cr = held_cr;
	f->max_length = max_length;
	f->on_frame = on_frame;
	f->arg = arg;
	f->frame = malloc(max_length ? max_length : 1);
	return f->frame ? 0 : -1;
}

void scan_framer_free(struct scan_framer *f)
{
	free(f->frame);
	f->frame = NULL;
}

/* Bytes are only cut once the frame holds max_length of them, so len > 0
 * whenever anything is pending. */
static void frame_done(struct scan_framer *f, bool by_pause)
{
	if (f->len > 0)
		f->on_frame(f->arg, f->frame, f->len, f->overflow, by_pause);
	f->len = 0;
	f->overflow = 0;
	f->pending_cr = false;
}

static void frame_byte(struct scan_framer *f, unsigned char c)
{
	if (f->len < f->max_length)
		f->frame[f->len++] = c;
	else
		f->overflow++;
}

static bool is_suffix(const struct scan_framer *f, unsigned char c)
{
	switch (f->suffix) {
	case SCAN_SUFFIX_CR: return c == '\r';
	case SCAN_SUFFIX_LF: return c == '\n';
	case SCAN_SUFFIX_TAB: return c == '\t';
	case SCAN_SUFFIX_CRLF: /* two bytes: handled by the caller */
	case SCAN_SUFFIX_NONE: break;
	}
	return false;
}

void scan_framer_feed(struct scan_framer *f, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = buf[i];
		if (f->pending_cr) {
			f->pending_cr = false;
			if (c == '\n') {
				frame_done(f, false);
				continue;
			}
			frame_byte(f, '\r'); /* a lone CR is data */
		}
		if (f->suffix == SCAN_SUFFIX_CRLF && c == '\r') {
			f->pending_cr = true;
			continue;
		}
		if (is_suffix(f, c)) {
			frame_done(f, false);
			continue;
		}
		frame_byte(f, c);
	}
}

void scan_framer_pause(struct scan_framer *f)
{
	if (f->pending_cr && f->held_cr == SCAN_HELD_CR_IS_DATA)
		frame_byte(f, '\r');
	frame_done(f, true);
}

bool scan_framer_busy(const struct scan_framer *f)
{
	return f->len > 0 || f->pending_cr;
}
