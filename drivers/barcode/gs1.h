/* GS1 syntax shared by the element string and Digital Link parsers:
 * the AI table, value validation, check digits and dates. Internal to
 * drivers/barcode (and its tests); drivers use barcode.h. */
#ifndef DOCKSIDE_BARCODE_GS1_H
#define DOCKSIDE_BARCODE_GS1_H

#include <stdbool.h>
#include <stddef.h>

#include "drivers/barcode/barcode.h"

#define GS1_GS 0x1D /* FNC1 as transmitted by scanners: ASCII group separator */

/* One row of the AI table (GS1 General Specifications, section 3.2).
 * `format` lists the value's components as in the GenSpecs, space
 * separated: a character set letter, then a fixed length ("N14") or a
 * range ("X..20", "N6..12"); brackets mark an optional last component
 * ("[X..17]"); ",lint" after a component names an extra check.
 * Character sets: N digits, X set 82, Y set 39, Z set 64, M a minus sign.
 * Lints: csum (GS1 mod-10 check digit), yymmd0 (date, day 00 allowed),
 * yymmdd, yymmddhh, yymmddhhmm, yyyymmdd, yyyymmddhhmm, hhmm, mmoptss,
 * yesno, zero, iso5218, pieceoftotal. */
struct gs1_ai_def {
	const char *ai;             /* "01"; "310" is 3100-310x when last_digit_max >= 0 */
	signed char last_digit_max; /* -1: `ai` is complete; else a fourth digit 0..max follows */
	bool decimals;              /* that fourth digit is the number of decimal places */
	const char *format;
	const char *title;
};

extern const struct gs1_ai_def gs1_ai_table[];
extern const size_t gs1_ai_table_len;

/* Looks up the AI at the start of s (len bytes). On success copies the
 * complete AI (2-4 digits) to ai_out and returns its row; NULL if no AI
 * of the table starts s. */
const struct gs1_ai_def *gs1_ai_lookup_prefix(const char *s, size_t len, char ai_out[5]);
/* Looks up a complete AI ("3103"); NULL if unknown. */
const struct gs1_ai_def *gs1_ai_lookup(const char *ai);
/* Value length of AIs whose first two digits are in the GenSpecs table of
 * predefined lengths (these need no separator); 0 for all others. */
size_t gs1_predefined_value_length(const char *ai);
/* Number of decimal places of a decimal AI ("3103" -> 3), -1 otherwise. */
int gs1_ai_decimals(const struct gs1_ai_def *def, const char *ai);

/* GS1 mod-10 check digit of digits[0..len-1] (the check digit itself not
 * included); -1 if a character is not a digit. */
int gs1_check_digit(const char *digits, size_t len);

bool gs1_cset82(unsigned char c);
bool gs1_cset39(unsigned char c);
bool gs1_cset64(unsigned char c);

/* GS1 century rule (GenSpecs 7.12): the full year of a two-digit YY,
 * within 49 years in the past and 50 years in the future of ref_year. */
int gs1_full_year(int yy, int ref_year);
int gs1_days_in_month(int year, int month);
/* The year dates are judged against: opt_year if non-zero, else this
 * year (UTC). */
int gs1_reference_year(int opt_year);

/* One component of a format, parsed from the table's notation. */
struct gs1_component {
	char cset;          /* 'N', 'X', 'Y', 'Z' or 'M' */
	size_t min, max;    /* min is 0 for an optional variable component */
	bool optional;      /* bracketed: may be absent (then length 0) */
	char lint[16];      /* "" or one lint name */
};
#define GS1_MAX_COMPONENTS 4

/* Parses a format string into at most GS1_MAX_COMPONENTS components;
 * returns their number, 0 if the format is malformed. */
size_t gs1_format_parse(const char *format, struct gs1_component *out);

/* Checks a value against its AI's format and lints. On failure writes a
 * message without the "AI xx: " prefix to err and returns false. */
bool gs1_value_validate(const struct gs1_ai_def *def, const char *ai, const char *value, size_t len,
			int ref_year, char *err, size_t errsize);

/* Adds an element to scan (value already validated). Fails with
 * scan->error set when the scan is full or the AI repeats with another
 * value (a repeat with the same value is accepted once). */
/* Writes the decode error into scan->error; returns false, so a parser
 * can `return gs1_fail(scan, "...")`. */
bool gs1_fail(struct barcode_scan *scan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool gs1_scan_add(struct barcode_scan *scan, const char *ai, const char *value, size_t len);
/* Rules between AIs of one symbol (GenSpecs 4.14) that can be checked
 * without the rest of the label: 01 and 02 exclude each other. */
bool gs1_scan_check_pairs(struct barcode_scan *scan);

/* Parses a GS1 element string (data after the AIM id / FNC1): AIs,
 * values, GS separators. Fills scan->elements, or sets scan->error and
 * returns false. */
bool gs1_parse_element_string(const char *data, size_t len, int ref_year, struct barcode_scan *scan);

/* True if data looks like an http(s) URI with a GS1 primary key in its
 * path, i.e. is meant as a GS1 Digital Link. */
bool gs1_digital_link_candidate(const char *data, size_t len);
/* Parses a GS1 Digital Link URI into scan->elements, or sets scan->error
 * and returns false. */
bool gs1_parse_digital_link(const char *uri, size_t len, int ref_year, struct barcode_scan *scan);

/* Renders a date AI value as ISO 8601 ("2026-12-31", day 00 resolved to
 * the month's last day; "2026-12-31T14:30" with a time); false if the AI
 * carries no date or the value is not one. */
bool gs1_render_date(const char *ai, const char *value, int ref_year, char *out, size_t size);
/* Renders a decimal AI's value as a JSON number ("1.5"); false if the
 * AI has no implied decimal point. */
bool gs1_render_measure(const char *ai, const char *value, char *out, size_t size);

#endif
