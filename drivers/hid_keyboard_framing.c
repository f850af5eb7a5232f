/* Suffix and pause framing of HID keyboard scans; see hid_keyboard_framing.h. */
#include "drivers/hid_keyboard_framing.h"

#include <stdlib.h>
#include <string.h>

enum hid_kbd_suffix hid_kbd_suffix_parse(const char *s)
{
	if (strcmp(s, "lf") == 0)
		return HID_KBD_SUFFIX_LF;
	if (strcmp(s, "crlf") == 0)
		return HID_KBD_SUFFIX_CRLF;
	if (strcmp(s, "tab") == 0)
		return HID_KBD_SUFFIX_TAB;
	if (strcmp(s, "none") == 0)
		return HID_KBD_SUFFIX_NONE;
	return HID_KBD_SUFFIX_CR;
}

int hid_kbd_framer_init(struct hid_kbd_framer *f, enum hid_kbd_suffix suffix, size_t max_length,
			hid_kbd_frame_fn on_frame, void *arg)
{
	memset(f, 0, sizeof *f);
	f->suffix = suffix;
	f->max_length = max_length;
	f->on_frame = on_frame;
	f->arg = arg;
	f->frame = malloc(max_length ? max_length : 1);
	return f->frame ? 0 : -1;
}

void hid_kbd_framer_free(struct hid_kbd_framer *f)
{
	free(f->frame);
	f->frame = NULL;
}

static void framer_reset(struct hid_kbd_framer *f)
{
	f->len = 0;
	f->overlong = false;
	f->pending_cr = false;
}

static void framer_done(struct hid_kbd_framer *f, bool by_pause)
{
	if (f->len > 0) /* a bare suffix is no scan */
		f->on_frame(f->arg, f->frame, f->len, f->overlong, by_pause);
	framer_reset(f);
}

static void framer_append(struct hid_kbd_framer *f, unsigned char c)
{
	if (f->len < f->max_length)
		f->frame[f->len++] = c;
	else
		f->overlong = true;
}

void hid_kbd_framer_byte(struct hid_kbd_framer *f, unsigned char c)
{
	if (f->pending_cr) {
		f->pending_cr = false;
		if (c == '\n') {
			framer_done(f, false);
			return;
		}
		framer_append(f, '\r');
	}
	switch (f->suffix) {
	case HID_KBD_SUFFIX_CR:
		if (c == '\r') {
			framer_done(f, false);
			return;
		}
		break;
	case HID_KBD_SUFFIX_LF:
		if (c == '\n') {
			framer_done(f, false);
			return;
		}
		break;
	case HID_KBD_SUFFIX_TAB:
		if (c == '\t') {
			framer_done(f, false);
			return;
		}
		break;
	case HID_KBD_SUFFIX_CRLF:
		if (c == '\r') {
			f->pending_cr = true;
			return;
		}
		break;
	case HID_KBD_SUFFIX_NONE:
		break;
	}
	framer_append(f, c);
}

void hid_kbd_framer_flush(struct hid_kbd_framer *f)
{
	if (f->pending_cr) {
		framer_append(f, '\r');
		f->pending_cr = false;
	}
	framer_done(f, true);
}

bool hid_kbd_framer_busy(const struct hid_kbd_framer *f)
{
	return f->len > 0 || f->pending_cr;
}
