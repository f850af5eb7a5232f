/* GS1 Digital Link URIs (GS1 Digital Link standard 1.x): any domain,
 * an optional path prefix, then /{primary key AI}/{value} followed by
 * its key qualifiers in the path, and further AIs as query parameters.
 * Values are percent-decoded and validated like element string values. */
#include "drivers/barcode/gs1.h"

#include <string.h>
#include <strings.h>

#include "agent/util.h"

#define DL_MAX_SEGMENTS 64

struct span {
	const char *p;
	size_t len;
};

struct dl_uri {
	struct span segments[DL_MAX_SEGMENTS];
	size_t n_segments;
	struct span query;
	size_t key_index; /* segment holding the primary key AI */
};

/* Primary keys and the qualifiers allowed after them in the path, in the
 * order they must appear. */
static const struct {
	const char *key;
	const char *qualifiers[4];
} primary_keys[] = {
	{"01", {"22", "10", "21", NULL}},
	{"8006", {"22", "10", "21", NULL}},
	{"8010", {"8011", NULL}},
	{"414", {"254", "7040", NULL}},
	{"417", {"7040", NULL}},
	{"8017", {"8019", NULL}},
	{"8018", {"8019", NULL}},
	{"00", {NULL}},
	{"253", {NULL}},
	{"255", {NULL}},
	{"401", {NULL}},
	{"402", {NULL}},
	{"8003", {NULL}},
	{"8004", {NULL}},
	{"8013", {NULL}},
};

static int primary_key_index(const struct span *s)
{
	for (size_t i = 0; i < sizeof primary_keys / sizeof primary_keys[0]; i++)
		if (strlen(primary_keys[i].key) == s->len && memcmp(primary_keys[i].key, s->p, s->len) == 0)
			return (int)i;
	return -1;
}

/* Percent-decodes s into out (capacity cap). Returns the decoded length,
 * or -1 on a malformed escape, -2 if it does not fit. */
static long percent_decode(struct span s, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		if (c == '%') {
			if (i + 2 >= s.len)
				return -1;
			int hi = hex_digit_value(s.p[i + 1]), lo = hex_digit_value(s.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (n == cap)
			return -2;
		out[n++] = c;
	}
	return (long)n;
}

static bool has_prefix_nocase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* Splits the URI and finds the primary key: the first path segment that
 * names a primary key AI and is followed by an even number of segments
 * (AI/value pairs). False when the URI is no Digital Link. */
static bool dl_split(const char *uri, size_t len, struct dl_uri *d)
{
	memset(d, 0, sizeof *d);
	size_t pos;
	if (has_prefix_nocase(uri, len, "https://"))
		pos = 8;
	else if (has_prefix_nocase(uri, len, "http://"))
		pos = 7;
	else
		return false;
	size_t host = pos;
	while (pos < len && uri[pos] != '/' && uri[pos] != '?' && uri[pos] != '#')
		pos++;
	if (pos == host || pos == len || uri[pos] != '/')
		return false;
	size_t end = pos;
	while (end < len && uri[end] != '?' && uri[end] != '#')
		end++;
	if (end < len && uri[end] == '?') {
		size_t q = end + 1, qe = q;
		while (qe < len && uri[qe] != '#')
			qe++;
		d->query = (struct span){uri + q, qe - q};
	}
	/* Path segments after the leading '/'; a trailing '/' adds nothing. */
	size_t s = pos + 1;
	while (s <= end) {
		size_t e = s;
		while (e < end && uri[e] != '/')
			e++;
		if (e == end && e == s)
			break;
		if (d->n_segments == DL_MAX_SEGMENTS)
			return false;
		d->segments[d->n_segments++] = (struct span){uri + s, e - s};
		s = e + 1;
	}
	for (size_t i = 0; i < d->n_segments; i++) {
		if ((d->n_segments - i) % 2 == 0 && primary_key_index(&d->segments[i]) >= 0) {
			d->key_index = i;
			return true;
		}
	}
	return false;
}

bool gs1_digital_link_candidate(const char *data, size_t len)
{
	struct dl_uri d;
	return dl_split(data, len, &d);
}

/* Decodes, normalises and validates one AI value, then adds it. */
static bool add_value(struct barcode_scan *scan, const char *ai, struct span raw, int ref_year,
		      const char *where)
{
	const struct gs1_ai_def *def = gs1_ai_lookup(ai);
	if (!def)
		return gs1_fail(scan, "Digital Link: unknown AI %s in %s", ai, where);
	char value[GS1_VALUE_MAX + 1];
	long n = percent_decode(raw, value, GS1_VALUE_MAX);
	if (n == -1)
		return gs1_fail(scan, "Digital Link: AI %s: malformed percent-encoding", ai);
	if (n == -2)
		return gs1_fail(scan, "Digital Link: AI %s: value longer than %d characters", ai, GS1_VALUE_MAX);
	size_t len = (size_t)n;
	/* GTIN-8, -12 and -13 are written as they are; the element string
	 * form is the 14-digit GTIN. */
	if (strcmp(ai, "01") == 0 && (len == 8 || len == 12 || len == 13)) {
		size_t pad = 14 - len;
		memmove(value + pad, value, len);
		memset(value, '0', pad);
		len = 14;
	}
	char err[128];
	if (!gs1_value_validate(def, ai, value, len, ref_year, err, sizeof err))
		return gs1_fail(scan, "AI %s: %s", ai, err);
	return gs1_scan_add(scan, ai, value, len);
}

/* Copies a short AI segment into a C string; false if it cannot be one. */
static bool segment_ai(struct span s, char ai[5])
{
	if (s.len < 2 || s.len > 4)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	memcpy(ai, s.p, s.len);
	ai[s.len] = '\0';
	return true;
}

static bool parse_path(const struct dl_uri *d, int ref_year, struct barcode_scan *scan)
{
	int key = primary_key_index(&d->segments[d->key_index]);
	const char *const *qualifiers = primary_keys[key].qualifiers;
	size_t next_qualifier = 0;
	for (size_t i = d->key_index; i + 1 < d->n_segments; i += 2) {
		char ai[5];
		if (!segment_ai(d->segments[i], ai))
			return gs1_fail(scan, "Digital Link: path segment %zu is not an AI", i + 1);
		if (i > d->key_index) {
			size_t q = next_qualifier;
			while (qualifiers[q] && strcmp(qualifiers[q], ai) != 0)
				q++;
			if (!qualifiers[q])
				return gs1_fail(scan, "Digital Link: AI %s is not a path qualifier of AI %s "
					    "(or out of order)", ai, primary_keys[key].key);
			next_qualifier = q + 1;
		}
		if (!add_value(scan, ai, d->segments[i + 1], ref_year, "path"))
			return false;
	}
	return true;
}

static bool parse_query(const struct dl_uri *d, int ref_year, struct barcode_scan *scan)
{
	if (d->query.len == 0) /* also when there is no query: query.p is NULL */
		return true;
	const char *p = d->query.p, *end = d->query.p + d->query.len;
	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		struct span name = {p, (size_t)((eq ? eq : stop) - p)};
		bool numeric = name.len > 0;
		for (size_t i = 0; i < name.len; i++)
			numeric = numeric && name.p[i] >= '0' && name.p[i] <= '9';
		/* Other parameters (linkType, tracking, ...) are not GS1 data. */
		if (numeric) {
			char ai[5];
			if (!segment_ai(name, ai))
				return gs1_fail(scan, "Digital Link: unknown AI %.*s in query",
					    (int)(name.len > 8 ? 8 : name.len), name.p);
			struct span value = {eq ? eq + 1 : stop, eq ? (size_t)(stop - eq - 1) : 0};
			if (!add_value(scan, ai, value, ref_year, "query"))
				return false;
		}
		p = amp ? amp + 1 : NULL;
	}
	return true;
}

bool gs1_parse_digital_link(const char *uri, size_t len, int ref_year, struct barcode_scan *scan)
{
	struct dl_uri d;
	if (!dl_split(uri, len, &d))
		return gs1_fail(scan, "Digital Link: no GS1 primary key in the path");
	return parse_path(&d, ref_year, scan) && parse_query(&d, ref_year, scan);
}
