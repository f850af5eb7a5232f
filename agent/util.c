#include "agent/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

void strbuf_init(struct strbuf *sb) { memset(sb, 0, sizeof *sb); }

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	memset(sb, 0, sizeof *sb);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->failed = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
	if (sb->failed)
		return false;
	if (sb->len + extra + 1 <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			sb->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(sb->buf, cap);
	if (!p) {
		sb->failed = true;
		return false;
	}
	sb->buf = p;
	sb->cap = cap;
	return true;
}

void strbuf_append(struct strbuf *sb, const char *data, size_t len)
{
	if (!strbuf_reserve(sb, len))
		return;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s) { strbuf_append(sb, s, strlen(s)); }

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !strbuf_reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

char *strbuf_steal(struct strbuf *sb)
{
	char *s = sb->buf;
	if (!s)
		s = calloc(1, 1);
	memset(sb, 0, sizeof *sb);
	return s;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if invalid. Rejects
 * overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

size_t utf8_invalid_bytes(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t bad = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (!n) {
			bad++;
			i++;
		} else {
			i += n;
		}
	}
	return bad;
}

void json_append_string(struct strbuf *sb, const char *data, size_t len, size_t *invalid)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t bad = 0;
	strbuf_append(sb, "\"", 1);
	size_t run = 0; /* start of a run of bytes that need no escaping */
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 1 && c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (n > 1) {
			i += n;
			continue;
		}
		strbuf_append(sb, data + run, i - run);
		if (n == 0) {
			strbuf_puts(sb, "\xEF\xBF\xBD");
			bad++;
		} else if (c == '"') {
			strbuf_puts(sb, "\\\"");
		} else if (c == '\\') {
			strbuf_puts(sb, "\\\\");
		} else if (c == '\n') {
			strbuf_puts(sb, "\\n");
		} else if (c == '\r') {
			strbuf_puts(sb, "\\r");
		} else if (c == '\t') {
			strbuf_puts(sb, "\\t");
		} else {
			strbuf_printf(sb, "\\u%04x", c);
		}
		i++;
		run = i;
	}
	strbuf_append(sb, data + run, len - run);
	strbuf_append(sb, "\"", 1);
	if (invalid)
		*invalid += bad;
}

void json_append_cstring(struct strbuf *sb, const char *s)
{
	json_append_string(sb, s, strlen(s), NULL);
}

int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool tenant_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

bool name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > DS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

bool str_copy(char *dst, size_t size, const char *src)
{
	if (!size)
		return false;
	size_t n = strlen(src);
	bool fits = n < size;
	if (!fits)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return fits;
}

char *str_trim(char *s)
{
	char *start = s;
	while (*start && isspace((unsigned char)*start))
		start++;
	size_t n = strlen(start);
	while (n && isspace((unsigned char)start[n - 1]))
		n--;
	memmove(s, start, n);
	s[n] = '\0';
	return s;
}

int64_t wall_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void format_iso8601_ms(int64_t ms, char *buf, size_t size)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char base[24];
	gmtime_r(&sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)(ms % 1000));
}

int64_t backoff_next_delay(int64_t *backoff_ms, int64_t max_ms)
{
	int64_t b = *backoff_ms > 0 ? *backoff_ms : 1;
	int64_t delay = b / 2 + (int64_t)(random() % (b / 2 + 1));
	*backoff_ms = b > max_ms / 2 ? max_ms : b * 2;
	return delay;
}

bool parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		return false;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}
