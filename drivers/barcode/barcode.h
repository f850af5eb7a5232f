/* Barcode decoding shared by every scanner driver: AIM symbology
 * identifiers, GS1 element strings (AIs, check digits, dates, measures),
 * GS1 Digital Link URIs. A scan that does not decode is still a scan: its
 * raw text is kept and the decode error is reported alongside.
 */
#ifndef DOCKSIDE_BARCODE_H
#define DOCKSIDE_BARCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/util.h"

struct profile;

#define BARCODE_MAX_ELEMENTS 32
#define GS1_VALUE_MAX 90

struct gs1_element {
	char ai[5];                         /* "01", "3103", "410" */
	char value[GS1_VALUE_MAX + 1];
};

enum barcode_aim_mode {
	BARCODE_AIM_AUTO = 0, /* take a leading "]Xn" as AIM id if it is a valid one */
	BARCODE_AIM_YES,      /* the scanner always sends one (profile says so) */
	BARCODE_AIM_NO,       /* never: data starting with ']' is data */
};

struct barcode_options {
	enum barcode_aim_mode aim_mode;
	int reference_year;  /* year GS1 two-digit years are judged against; 0: this year */
};

struct barcode_scan {
	char aim[4];                        /* "]C1", "" if none */
	char symbology[24];                 /* "gs1-128", "ean-13", ... "" if unknown */
	bool is_gs1;                        /* GS1 element string or Digital Link */
	bool digital_link;                  /* the GS1 data came from a Digital Link URI */
	size_t n_elements;
	struct gs1_element elements[BARCODE_MAX_ELEMENTS];
	char error[160];                    /* "" when it decoded (or needed no decoding);
	                                       elements are cleared when it is set */
	size_t invalid_utf8;                /* bytes replaced by U+FFFD in "text" */
	size_t nul_bytes;
};

/* The value of an AI in a decoded scan ("01" -> "09506000134352"), NULL
 * if the scan has none. Points into scan. */
const char *barcode_scan_get(const struct barcode_scan *scan, const char *ai);

/* Fills opt from the profile's [barcode] section (p may be NULL). */
void barcode_options_from_profile(const struct profile *p, struct barcode_options *opt);

/* Decodes raw scanner bytes (framing already removed) into *scan and
 * appends the event's `data` JSON object to out:
 *   {"text":"]C1...","aim":"]C1","symbology":"gs1-128","digital_link":true,
 *    "gs1":{"01":"...","10":"..."},"dates":{"17":"2026-12-31"},
 *    "measures":{"3103":1.5},"error":"..."}
 * (every member but "text" only when present; docs/decoding.md). Never fails: any input gives
 * valid JSON and valid UTF-8. */
void barcode_decode(const unsigned char *raw, size_t len, const struct barcode_options *opt,
		    struct barcode_scan *scan, struct strbuf *out);

#endif
