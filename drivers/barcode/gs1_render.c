/* Derived views of GS1 values for inventory systems: dates as ISO 8601
 * and implied-decimal measures as numbers. The exact strings stay in
 * "gs1"; these are conveniences next to them. */
#include "drivers/barcode/gs1.h"

#include <stdio.h>
#include <string.h>

static int two_digits(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* Writes YYYY-MM-DD for a date component; returns chars written or -1. */
static int render_day(const char *s, const char *lint, int ref_year, char *out, size_t size)
{
	bool four = strncmp(lint, "yyyy", 4) == 0;
	int year = four ? two_digits(s) * 100 + two_digits(s + 2) : gs1_full_year(two_digits(s), ref_year);
	const char *md = s + (four ? 4 : 2);
	int month = two_digits(md), day = two_digits(md + 2);
	if (day == 0) /* day-00 rule: the last day of the month */
		day = gs1_days_in_month(year, month);
	int n = snprintf(out, size, "%04d-%02d-%02d", year, month, day);
	return n > 0 && (size_t)n < size ? n : -1;
}

static bool is_date_lint(const char *lint) { return strncmp(lint, "yy", 2) == 0; }

bool gs1_render_date(const char *ai, const char *value, int ref_year, char *out, size_t size)
{
	const struct gs1_ai_def *def = gs1_ai_lookup(ai);
	struct gs1_component comps[GS1_MAX_COMPONENTS];
	size_t n = def ? gs1_format_parse(def->format, comps) : 0;
	if (n == 0 || !is_date_lint(comps[0].lint))
		return false;
	size_t len = strlen(value);
	if (len < comps[0].max)
		return false;
	const char *lint = comps[0].lint;
	int w = render_day(value, lint, ref_year, out, size);
	if (w < 0)
		return false;
	size_t date_digits = strncmp(lint, "yyyy", 4) == 0 ? 8 : 6;
	if (comps[0].max < date_digits)
		return false;
	/* Time of day: inside the first component, or in the second one. */
	const char *t = value + date_digits;
	size_t t_len = comps[0].max - date_digits;
	if (n > 1 && (strcmp(comps[1].lint, "hhmm") == 0 || strcmp(comps[1].lint, "mmoptss") == 0))
		t_len += len - comps[0].max;
	if (t_len >= 2) {
		int k = snprintf(out + w, size - (size_t)w, "T%.2s", t);
		for (size_t i = 2; i + 1 < t_len && k > 0; i += 2)
			k += snprintf(out + w + k, size - (size_t)w - (size_t)k, ":%.2s", t + i);
		if (t_len == 2 && k > 0) /* an hour alone is still a time: HH:00 */
			k += snprintf(out + w + k, size - (size_t)w - (size_t)k, ":00");
		if (k < 0 || (size_t)(w + k) >= size)
			return false;
		w += k;
	}
	/* A second date (7007 harvest period) makes an ISO 8601 interval. */
	if (n > 1 && is_date_lint(comps[1].lint) && len == comps[0].max + comps[1].max) {
		if ((size_t)w + 1 >= size)
			return false;
		out[w++] = '/';
		if (render_day(value + comps[0].max, comps[1].lint, ref_year, out + w, size - (size_t)w) < 0)
			return false;
	}
	return true;
}

bool gs1_render_measure(const char *ai, const char *value, char *out, size_t size)
{
	const struct gs1_ai_def *def = gs1_ai_lookup(ai);
	int decimals = gs1_ai_decimals(def, ai);
	if (decimals < 0)
		return false;
	struct gs1_component comps[GS1_MAX_COMPONENTS];
	size_t n = gs1_format_parse(def->format, comps);
	if (n == 0)
		return false;
	size_t skip = 0; /* currency code before an amount */
	for (size_t i = 0; i + 1 < n; i++)
		skip += comps[i].max;
	size_t len = strlen(value);
	if (len <= skip || len - skip > 30)
		return false;
	const char *digits = value + skip;
	size_t dlen = len - skip;
	char padded[64];
	/* Enough leading zeros that there is an integer digit. */
	size_t pad = dlen <= (size_t)decimals ? (size_t)decimals + 1 - dlen : 0;
	memset(padded, '0', pad);
	memcpy(padded + pad, digits, dlen);
	size_t plen = pad + dlen;
	size_t int_len = plen - (size_t)decimals;
	size_t first = 0;
	while (first + 1 < int_len && padded[first] == '0')
		first++;
	size_t frac_len = (size_t)decimals;
	while (frac_len > 0 && padded[int_len + frac_len - 1] == '0')
		frac_len--;
	int k;
	if (frac_len)
		k = snprintf(out, size, "%.*s.%.*s", (int)(int_len - first), padded + first, (int)frac_len,
			     padded + int_len);
	else
		k = snprintf(out, size, "%.*s", (int)(int_len - first), padded + first);
	return k > 0 && (size_t)k < size;
}
