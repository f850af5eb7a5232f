/* GS1 element strings: a run of AI + value pairs as carried by GS1-128,
 * GS1 DataBar, GS1 QR, GS1 DataMatrix and GS1 DotCode. Values of AIs with
 * a predefined length end by count; all others end at a GS (FNC1) or at
 * the end of the data. */
#include "drivers/barcode/gs1.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool gs1_fail(struct barcode_scan *scan, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(scan->error, sizeof scan->error, fmt, ap);
	va_end(ap);
	return false;
}

bool gs1_scan_add(struct barcode_scan *scan, const char *ai, const char *value, size_t len)
{
	if (len > GS1_VALUE_MAX)
		return gs1_fail(scan, "AI %s: value longer than %d characters", ai, GS1_VALUE_MAX);
	for (size_t i = 0; i < scan->n_elements; i++) {
		const struct gs1_element *e = &scan->elements[i];
		if (strcmp(e->ai, ai) != 0)
			continue;
		if (strlen(e->value) == len && memcmp(e->value, value, len) == 0)
			return true; /* the same fact twice is still that fact */
		return gs1_fail(scan, "AI %s appears twice with different values", ai);
	}
	if (scan->n_elements == BARCODE_MAX_ELEMENTS)
		return gs1_fail(scan, "more than %d GS1 elements", BARCODE_MAX_ELEMENTS);
	struct gs1_element *e = &scan->elements[scan->n_elements++];
	str_copy(e->ai, sizeof e->ai, ai);
	memcpy(e->value, value, len);
	e->value[len] = '\0';
	return true;
}

static bool scan_has(const struct barcode_scan *scan, const char *ai)
{
	for (size_t i = 0; i < scan->n_elements; i++)
		if (strcmp(scan->elements[i].ai, ai) == 0)
			return true;
	return false;
}

bool gs1_scan_check_pairs(struct barcode_scan *scan)
{
	/* A trade item (01) and the trade items contained in a logistic unit
	 * (02) are different things; one symbol cannot carry both. */
	if (scan_has(scan, "01") && scan_has(scan, "02"))
		return gs1_fail(scan, "AI 01 and AI 02 must not appear together");
	return true;
}

/* Explains why no AI of the table starts data[pos..]. */
static bool fail_unknown_ai(struct barcode_scan *scan, const char *s, size_t left, size_t pos)
{
	size_t digits = 0;
	while (digits < left && digits < 4 && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0) {
		unsigned char c = (unsigned char)s[0];
		if (c > 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '\'')
			return gs1_fail(scan, "AI expected at position %zu, got '%c'", pos, c);
		return gs1_fail(scan, "AI expected at position %zu, got 0x%02X", pos, c);
	}
	if (digits < 2)
		return gs1_fail(scan, "AI expected at position %zu, got only one digit", pos);
	return gs1_fail(scan, "unknown AI at position %zu: \"%.*s\"", pos, (int)digits, s);
}

bool gs1_parse_element_string(const char *data, size_t len, int ref_year, struct barcode_scan *scan)
{
	size_t pos = 0;
	if (pos < len && data[pos] == GS1_GS)
		pos++; /* FNC1 in first position, sent as GS by some scanners */
	if (pos == len)
		return gs1_fail(scan, "GS1 element string is empty");
	while (pos < len) {
		if (data[pos] == GS1_GS)
			return gs1_fail(scan, "unexpected GS separator at position %zu", pos);
		char ai[5];
		const struct gs1_ai_def *def = gs1_ai_lookup_prefix(data + pos, len - pos, ai);
		if (!def)
			return fail_unknown_ai(scan, data + pos, len - pos, pos);
		size_t start = pos + strlen(ai);
		size_t end = start;
		size_t predefined = gs1_predefined_value_length(ai);
		/* A predefined-length value ends by count; a GS inside it means
		 * the value is short, which validation reports. */
		size_t limit = predefined ? (len - start < predefined ? len : start + predefined) : len;
		while (end < limit && data[end] != GS1_GS)
			end++;
		char err[128];
		if (!gs1_value_validate(def, ai, data + start, end - start, ref_year, err, sizeof err))
			return gs1_fail(scan, "AI %s: %s", ai, err);
		if (!gs1_scan_add(scan, ai, data + start, end - start))
			return false;
		pos = end;
		/* The separator after a variable-length value; tolerated after a
		 * predefined-length one too, and at the very end. */
		if (pos < len && data[pos] == GS1_GS)
			pos++;
	}
	return true;
}
