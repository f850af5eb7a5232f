/* Framing of a scanner's byte stream into scans, shared by the serial and
 * the HID keyboard drivers: by the suffix the scanner sends after each
 * scan (CR, LF, CR LF, Tab) or by a pause, which the caller times and
 * reports with scan_framer_pause(). Frames longer than max_length are cut
 * there and flagged. Pure: bytes in, scans out through a callback, so it
 * is tested and fuzzed without a device. */
#ifndef DOCKSIDE_SCAN_FRAMING_H
#define DOCKSIDE_SCAN_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

enum scan_suffix { SCAN_SUFFIX_NONE, SCAN_SUFFIX_CR, SCAN_SUFFIX_LF, SCAN_SUFFIX_CRLF, SCAN_SUFFIX_TAB };

/* With CR LF framing, what a pause does to a CR still waiting for its LF. */
enum scan_held_cr {
	SCAN_HELD_CR_ENDS,    /* the CR ended the scan and is dropped (serial) */
	SCAN_HELD_CR_IS_DATA, /* the CR belongs to the scan (HID keyboard) */
};

/* A complete scan: its first len >= 1 bytes (at most max_length), valid
 * during the call only; overflow: how many bytes beyond max_length were
 * cut (0: none); by_pause: ended by scan_framer_pause(), not the suffix.
 * A bare suffix is no scan. */
typedef void (*scan_frame_fn)(void *arg, const unsigned char *frame, size_t len, size_t overflow, bool by_pause);

struct scan_framer {
	enum scan_suffix suffix;
	enum scan_held_cr held_cr;
	size_t max_length;
	unsigned char *frame;   /* max_length bytes, owned */
	size_t len;
	size_t overflow;        /* bytes beyond max_length in the current frame */
	bool pending_cr;        /* CR LF: saw CR, waiting for LF */
	scan_frame_fn on_frame;
	void *arg;
};

/* Profile value (cr|lf|crlf|tab|none) to suffix; anything else is cr. */
enum scan_suffix scan_suffix_parse(const char *s);

/* Allocates the frame buffer; -1 when out of memory. Free with
 * scan_framer_free (also after a failed init). */
int scan_framer_init(struct scan_framer *f, enum scan_suffix suffix, enum scan_held_cr held_cr,
		     size_t max_length, scan_frame_fn on_frame, void *arg);
void scan_framer_free(struct scan_framer *f);

/* Frames n received bytes; calls on_frame for each scan they complete. */
void scan_framer_feed(struct scan_framer *f, const unsigned char *buf, size_t n);
/* The pause after the last byte: whatever is pending is a scan (a held CR
 * as held_cr says). */
void scan_framer_pause(struct scan_framer *f);
/* Bytes, cut bytes or a held CR wait for the rest of their scan. */
bool scan_framer_busy(const struct scan_framer *f);

#endif
