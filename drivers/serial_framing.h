/* Framing of a serial scanner's byte stream into scans: by a suffix (CR,
 * LF, CR LF) or, with suffix none, only by the inter-character timeout,
 * which the caller times and reports with serial_framer_gap(). Frames
 * longer than max_length are cut there and flagged. Pure: bytes in, scans
 * out through a callback, so it is tested and fuzzed without a tty. */
#ifndef DOCKSIDE_SERIAL_FRAMING_H
#define DOCKSIDE_SERIAL_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

enum serial_suffix { SERIAL_SUFFIX_CR, SERIAL_SUFFIX_LF, SERIAL_SUFFIX_CRLF, SERIAL_SUFFIX_NONE };

/* A complete scan: its first len bytes (at most max_length), valid during
 * the call only, and how many bytes beyond max_length were cut (0: none).
 * A bare suffix is no scan. */
typedef void (*serial_frame_fn)(void *arg, const unsigned char *frame, size_t len, size_t overflow);

struct serial_framer {
	enum serial_suffix suffix;
	size_t max_length;
	unsigned char *frame;   /* max_length bytes, owned */
	size_t frame_len;
	size_t overflow;        /* bytes beyond max_length in the current frame */
	bool pending_cr;        /* CRLF: saw CR, waiting for LF */
	serial_frame_fn on_frame;
	void *arg;
};

/* Profile value (cr|lf|crlf|none) to suffix; anything else is cr. */
enum serial_suffix serial_suffix_parse(const char *s);

/* Allocates the frame buffer; -1 when out of memory. Free with
 * serial_framer_free (also after a failed init). */
int serial_framer_init(struct serial_framer *f, enum serial_suffix suffix, size_t max_length,
		       serial_frame_fn on_frame, void *arg);
void serial_framer_free(struct serial_framer *f);

/* Frames n received bytes; calls on_frame for each scan they complete. */
void serial_framer_feed(struct serial_framer *f, const unsigned char *buf, size_t n);
/* The inter-character timeout expired: a CR still waiting for its LF ended
 * the scan (and is dropped); whatever is pending is a scan. */
void serial_framer_gap(struct serial_framer *f);
/* Bytes, cut bytes or a held CR wait for the rest of their scan. */
bool serial_framer_busy(const struct serial_framer *f);

#endif
