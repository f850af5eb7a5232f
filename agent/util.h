/* Small helpers shared by every layer: growable strings, JSON string
 * escaping that always yields valid UTF-8, time, names. */
#ifndef DOCKSIDE_UTIL_H
#define DOCKSIDE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_NAME_MAX 63 /* tenant ids, device names, gateway ids: at most 63 chars */

/* Growable byte string, always NUL-terminated once anything was appended.
 * On allocation failure `failed` is set and further appends are ignored. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb); /* keeps the allocation */
void strbuf_append(struct strbuf *sb, const char *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the string and gives ownership to the caller; sb is reset. */
char *strbuf_steal(struct strbuf *sb);

/* Appends `data` as a JSON string literal, quotes included. Bytes that are
 * not valid UTF-8 are replaced by U+FFFD and counted in *invalid (may be
 * NULL); NUL and other control characters are escaped as \u00XX. The
 * result is always valid JSON and valid UTF-8. */
void json_append_string(struct strbuf *sb, const char *data, size_t len, size_t *invalid);

/* json_append_string for a NUL-terminated string (nothing counted). */
void json_append_cstring(struct strbuf *sb, const char *s);

/* Number of bytes that are not part of a valid UTF-8 sequence. */
size_t utf8_invalid_bytes(const char *data, size_t len);

/* Value of a hex digit (0-9, a-f, A-F), or -1. */
int hex_digit_value(char c);

/* Tenant ids: [a-z0-9][a-z0-9-]{0,62} (contract). */
bool tenant_id_valid(const char *s);
/* Names of devices, gateways, sites, stations: [A-Za-z0-9._-]{1,63}. */
bool name_valid(const char *s);

/* Copies at most size-1 bytes and NUL-terminates; returns false if truncated. */
bool str_copy(char *dst, size_t size, const char *src);
/* Trims ASCII whitespace at both ends, in place; returns s. */
char *str_trim(char *s);

/* Wall clock in ms since the epoch. */
int64_t wall_now_ms(void);
/* "2026-12-04T15:04:11.123Z"; buf at least 32 bytes. */
void format_iso8601_ms(int64_t ms, char *buf, size_t size);

/* Exponential backoff with jitter: returns a delay in [*backoff_ms / 2,
 * *backoff_ms] so that many clients do not retry in lockstep, and doubles
 * *backoff_ms up to max_ms for the next time. */
int64_t backoff_next_delay(int64_t *backoff_ms, int64_t max_ms);

/* Parses a decimal integer in [min, max]; false on junk or range error. */
bool parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
