/* Validation of one AI value against its row of the AI table: length,
 * character set per component, then the component's lint (check digit,
 * date, ...). Messages name the rule that failed and the offending part. */
#include "drivers/barcode/gs1.h"

#include <stdio.h>
#include <string.h>

bool gs1_cset82(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return true;
	return c != 0 && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

bool gs1_cset39(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '#' || c == '-' || c == '/';
}

bool gs1_cset64(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
	       c == '_' || c == '=';
}

static size_t parse_number(const char **p)
{
	size_t n = 0;
	while (**p >= '0' && **p <= '9' && n < 1000)
		n = n * 10 + (size_t)(*(*p)++ - '0');
	return n;
}

size_t gs1_format_parse(const char *format, struct gs1_component *out)
{
	const char *p = format;
	size_t n = 0;
	while (*p) {
		if (n == GS1_MAX_COMPONENTS)
			return 0;
		struct gs1_component *c = &out[n];
		memset(c, 0, sizeof *c);
		if (*p == '[') {
			c->optional = true;
			p++;
		}
		if (!*p || !strchr("NXYZM", *p))
			return 0;
		c->cset = *p++;
		if (p[0] == '.' && p[1] == '.') {
			p += 2;
			c->min = 1;
			c->max = parse_number(&p);
		} else {
			c->min = c->max = parse_number(&p);
			if (p[0] == '.' && p[1] == '.') {
				p += 2;
				c->max = parse_number(&p);
			}
		}
		if (c->max == 0 || c->min > c->max)
			return 0;
		if (*p == ',') {
			p++;
			size_t l = 0;
			while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
				if (l + 1 >= sizeof c->lint)
					return 0;
				c->lint[l++] = *p++;
			}
			if (l == 0)
				return 0;
		}
		if (c->optional) {
			if (*p != ']')
				return 0;
			p++;
			if (c->min != c->max)
				c->min = 0;
		}
		n++;
		if (*p == ' ')
			p++;
		else if (*p)
			return 0;
	}
	/* Only the last component may vary in length or be optional. */
	for (size_t i = 0; i + 1 < n; i++)
		if (out[i].min != out[i].max || out[i].optional)
			return 0;
	return n;
}

/* "'A'" for printable ASCII, "0x1D" otherwise: messages stay readable
 * whatever the scanner sent. */
static void describe_char(unsigned char c, char *buf, size_t size)
{
	if (c > 0x20 && c < 0x7F && c != '\'' && c != '"' && c != '\\')
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "0x%02X", c);
}

static bool cset_allows(char cset, unsigned char c)
{
	switch (cset) {
	case 'N': return c >= '0' && c <= '9';
	case 'X': return gs1_cset82(c);
	case 'Y': return gs1_cset39(c);
	case 'Z': return gs1_cset64(c);
	case 'M': return c == '-';
	}
	return false;
}

static const char *cset_name(char cset)
{
	switch (cset) {
	case 'N': return "digits only";
	case 'X': return "GS1 character set 82";
	case 'Y': return "GS1 character set 39";
	case 'Z': return "GS1 character set 64";
	case 'M': return "only '-'";
	}
	return "?";
}

static int two_digits(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* Validates a date made of a year (2 or 4 digits), month and day. */
static bool check_date(const char *s, size_t year_digits, bool day_zero_ok, int ref_year, char *err,
		       size_t errsize)
{
	int year = year_digits == 4 ? two_digits(s) * 100 + two_digits(s + 2)
				    : gs1_full_year(two_digits(s), ref_year);
	int month = two_digits(s + year_digits);
	int day = two_digits(s + year_digits + 2);
	int len = (int)year_digits + 4;
	if (month < 1 || month > 12) {
		snprintf(err, errsize, "invalid month %02d in date %.*s", month, len, s);
		return false;
	}
	int dim = gs1_days_in_month(year, month);
	if (day == 0 && day_zero_ok)
		return true;
	if (day < 1 || day > dim) {
		snprintf(err, errsize, "invalid day %02d in date %.*s (%04d-%02d has %d days)", day, len, s,
			 year, month, dim);
		return false;
	}
	return true;
}

static bool check_time(const char *s, size_t n, char *err, size_t errsize)
{
	/* s holds HH, HHMM or HHMMSS */
	int hh = two_digits(s);
	if (hh > 23) {
		snprintf(err, errsize, "invalid hour %02d", hh);
		return false;
	}
	for (size_t i = 2; i + 1 < n; i += 2) {
		int v = two_digits(s + i);
		if (v > 59) {
			snprintf(err, errsize, "invalid %s %02d", i == 2 ? "minute" : "second", v);
			return false;
		}
	}
	return true;
}

static bool run_lint(const char *lint, const char *s, size_t n, int ref_year, char *err, size_t errsize)
{
	if (n == 0) /* an absent optional component has nothing to check */
		return true;
	if (strcmp(lint, "csum") == 0) {
		int expected = gs1_check_digit(s, n - 1);
		if (expected != s[n - 1] - '0') {
			snprintf(err, errsize, "check digit %d expected, got %c", expected, s[n - 1]);
			return false;
		}
		return true;
	}
	if (strcmp(lint, "yymmd0") == 0)
		return check_date(s, 2, true, ref_year, err, errsize);
	if (strcmp(lint, "yymmdd") == 0)
		return check_date(s, 2, false, ref_year, err, errsize);
	if (strcmp(lint, "yymmddhh") == 0 || strcmp(lint, "yymmddhhmm") == 0)
		return check_date(s, 2, false, ref_year, err, errsize) &&
		       check_time(s + 6, n - 6, err, errsize);
	if (strcmp(lint, "yyyymmdd") == 0)
		return check_date(s, 4, false, ref_year, err, errsize);
	if (strcmp(lint, "yyyymmddhhmm") == 0)
		return check_date(s, 4, false, ref_year, err, errsize) &&
		       check_time(s + 8, n - 8, err, errsize);
	if (strcmp(lint, "hhmm") == 0)
		return check_time(s, n, err, errsize);
	if (strcmp(lint, "mmoptss") == 0) {
		if (n != 2 && n != 4) {
			snprintf(err, errsize, "minutes and seconds: 2 or 4 digits expected, got %zu", n);
			return false;
		}
		for (size_t i = 0; i < n; i += 2)
			if (two_digits(s + i) > 59) {
				snprintf(err, errsize, "invalid %s %.2s", i ? "second" : "minute", s + i);
				return false;
			}
		return true;
	}
	if (strcmp(lint, "yesno") == 0) {
		if (s[0] != '0' && s[0] != '1') {
			snprintf(err, errsize, "0 or 1 expected, got %c", s[0]);
			return false;
		}
		return true;
	}
	if (strcmp(lint, "iso5218") == 0) {
		if (!strchr("0129", s[0])) {
			snprintf(err, errsize, "ISO 5218 code 0, 1, 2 or 9 expected, got %c", s[0]);
			return false;
		}
		return true;
	}
	if (strcmp(lint, "zero") == 0) {
		for (size_t i = 0; i < n; i++)
			if (s[i] != '0') {
				snprintf(err, errsize, "digit %zu must be 0", i + 1);
				return false;
			}
		return true;
	}
	if (strcmp(lint, "pieceoftotal") == 0) {
		int piece = two_digits(s), total = two_digits(s + 2);
		if (piece < 1 || total < 1 || piece > total) {
			snprintf(err, errsize, "piece %02d of total %02d is not valid", piece, total);
			return false;
		}
		return true;
	}
	snprintf(err, errsize, "unknown check '%s' in AI table", lint);
	return false;
}

static void length_error(const struct gs1_component *comps, size_t n, size_t len, char *err, size_t errsize)
{
	size_t min = 0, max = 0;
	bool digits = true;
	for (size_t i = 0; i < n; i++) {
		min += comps[i].optional ? 0 : comps[i].min;
		max += comps[i].max;
		digits = digits && comps[i].cset == 'N';
	}
	const char *unit = digits ? "digits" : "characters";
	if (min == max)
		snprintf(err, errsize, "%zu %s expected, got %zu", max, unit, len);
	else if (len > max)
		snprintf(err, errsize, "at most %zu %s, got %zu", max, unit, len);
	else if (len < min)
		snprintf(err, errsize, "at least %zu %s, got %zu", min, unit, len);
	else /* within bounds overall, but an optional fixed part is cut short */
		snprintf(err, errsize, "%zu %s do not make up its fields", len, unit);
}

bool gs1_value_validate(const struct gs1_ai_def *def, const char *ai, const char *value, size_t len,
			int ref_year, char *err, size_t errsize)
{
	(void)ai;
	struct gs1_component comps[GS1_MAX_COMPONENTS];
	size_t n = gs1_format_parse(def->format, comps);
	if (n == 0) {
		snprintf(err, errsize, "malformed format '%s' in AI table", def->format);
		return false;
	}
	if (len == 0) {
		snprintf(err, errsize, "empty value");
		return false;
	}
	size_t pos = 0;
	for (size_t i = 0; i < n; i++) {
		const struct gs1_component *c = &comps[i];
		bool last = i + 1 == n;
		size_t left = len - pos;
		size_t take;
		if (!last) {
			take = c->max;
			if (left < take) {
				length_error(comps, n, len, err, errsize);
				return false;
			}
		} else {
			take = left;
			bool fixed_optional = c->optional && c->min == c->max;
			bool ok = fixed_optional ? (take == 0 || take == c->max) : (take >= c->min && take <= c->max);
			if (!ok) {
				length_error(comps, n, len, err, errsize);
				return false;
			}
		}
		for (size_t k = 0; k < take; k++) {
			unsigned char ch = (unsigned char)value[pos + k];
			if (!cset_allows(c->cset, ch)) {
				char shown[8];
				describe_char(ch, shown, sizeof shown);
				snprintf(err, errsize, "character %s at position %zu not allowed (%s)", shown,
					 pos + k + 1, cset_name(c->cset));
				return false;
			}
		}
		if (c->lint[0] && !run_lint(c->lint, value + pos, take, ref_year, err, errsize))
			return false;
		pos += take;
	}
	return true;
}
