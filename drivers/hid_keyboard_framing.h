/* Framing of a HID keyboard scanner's typed bytes into scans: by the
 * suffix key the scanner sends after each scan (Enter, LF, CR LF, Tab), or
 * by a pause, which the caller times and reports with
 * hid_kbd_framer_flush(). Pure: bytes in, scans out through a callback, so
 * it is tested and fuzzed without a device. */
#ifndef DOCKSIDE_HID_KEYBOARD_FRAMING_H
#define DOCKSIDE_HID_KEYBOARD_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

enum hid_kbd_suffix { HID_KBD_SUFFIX_NONE, HID_KBD_SUFFIX_CR, HID_KBD_SUFFIX_LF, HID_KBD_SUFFIX_CRLF,
		      HID_KBD_SUFFIX_TAB };

/* A complete scan: len >= 1 bytes of frame (valid during the call only);
 * overlong when bytes beyond max_length were cut; by_pause when it was
 * ended by hid_kbd_framer_flush() rather than by the suffix. */
typedef void (*hid_kbd_frame_fn)(void *arg, const unsigned char *frame, size_t len, bool overlong,
				 bool by_pause);

struct hid_kbd_framer {
	enum hid_kbd_suffix suffix;
	size_t max_length;
	unsigned char *frame;   /* max_length bytes, owned */
	size_t len;
	bool overlong;          /* bytes were cut from this frame */
	bool pending_cr;        /* crlf framing: '\r' seen, '\n' may follow */
	hid_kbd_frame_fn on_frame;
	void *arg;
};

/* Profile value (cr|lf|crlf|tab|none) to suffix; anything else is cr. */
enum hid_kbd_suffix hid_kbd_suffix_parse(const char *s);

/* Allocates the frame buffer; -1 when out of memory. Free with
 * hid_kbd_framer_free (also after a failed init). */
int hid_kbd_framer_init(struct hid_kbd_framer *f, enum hid_kbd_suffix suffix, size_t max_length,
			hid_kbd_frame_fn on_frame, void *arg);
void hid_kbd_framer_free(struct hid_kbd_framer *f);

/* Frames one decoded byte; may call on_frame. */
void hid_kbd_framer_byte(struct hid_kbd_framer *f, unsigned char c);
/* The pause after the last byte: what is pending (a held CR included) is
 * a scan. Calls on_frame unless nothing is pending. */
void hid_kbd_framer_flush(struct hid_kbd_framer *f);
/* Bytes (or a held CR) are waiting for the rest of their scan. */
bool hid_kbd_framer_busy(const struct hid_kbd_framer *f);

#endif
