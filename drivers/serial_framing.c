/* Suffix and gap framing of serial scans; see serial_framing.h. */
#include "drivers/serial_framing.h"

#include <stdlib.h>
#include <string.h>

enum serial_suffix serial_suffix_parse(const char *s)
{
	return strcmp(s, "lf") == 0     ? SERIAL_SUFFIX_LF
	       : strcmp(s, "crlf") == 0 ? SERIAL_SUFFIX_CRLF
	       : strcmp(s, "none") == 0 ? SERIAL_SUFFIX_NONE
					: SERIAL_SUFFIX_CR;
}

int serial_framer_init(struct serial_framer *f, enum serial_suffix suffix, size_t max_length,
		       serial_frame_fn on_frame, void *arg)
{
	memset(f, 0, sizeof *f);
	f->suffix = suffix;
	f->max_length = max_length;
	f->on_frame = on_frame;
	f->arg = arg;
	f->frame = malloc(max_length ? max_length : 1);
	return f->frame ? 0 : -1;
}

void serial_framer_free(struct serial_framer *f)
{
	free(f->frame);
	f->frame = NULL;
}

static void frame_done(struct serial_framer *f)
{
	if (f->frame_len > 0 || f->overflow)
		f->on_frame(f->arg, f->frame, f->frame_len, f->overflow);
	f->frame_len = 0;
	f->overflow = 0;
}

static void frame_byte(struct serial_framer *f, unsigned char c)
{
	if (f->frame_len < f->max_length)
		f->frame[f->frame_len++] = c;
	else
		f->overflow++;
}

void serial_framer_feed(struct serial_framer *f, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = buf[i];
		switch (f->suffix) {
		case SERIAL_SUFFIX_CR:
			if (c == '\r') {
				frame_done(f);
				continue;
			}
			break;
		case SERIAL_SUFFIX_LF:
			if (c == '\n') {
				frame_done(f);
				continue;
			}
			break;
		case SERIAL_SUFFIX_CRLF:
			if (f->pending_cr) {
				f->pending_cr = false;
				if (c == '\n') {
					frame_done(f);
					continue;
				}
				frame_byte(f, '\r');
			}
			if (c == '\r') {
				f->pending_cr = true;
				continue;
			}
			break;
		case SERIAL_SUFFIX_NONE:
			break;
		}
		frame_byte(f, c);
	}
}

void serial_framer_gap(struct serial_framer *f)
{
	/* CRLF framing but the LF never came: the CR ended the scan. */
	f->pending_cr = false;
	frame_done(f);
}

bool serial_framer_busy(const struct serial_framer *f)
{
	return f->frame_len > 0 || f->overflow || f->pending_cr;
}
