#include "agent/ini_file.h"

#include <ini.h>
#include <stdbool.h>
#include <string.h>

struct ini_file_state {
	FILE *f;
	int line;
	bool overlong;
	int overlong_line;
	bool prev_key;       /* a key was seen since the last section header */
	ini_line_handler handler;
	void *user;
};

/* Packaged inih does not call the handler for section headers, so the
 * reader spots them itself (as inih will parse them: '[' first, or after
 * indentation when no key precedes it, which would be a continuation) and
 * reports them with name == NULL, as ini_file.h promises. */
static void report_section_header(struct ini_file_state *st, const char *line)
{
	const char *s = line;
	if (st->line == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
	    (unsigned char)s[2] == 0xBF)
		s += 3;
	const char *start = s;
	while (*start == ' ' || *start == '\t' || *start == '\r')
		start++;
	if (*start != '[' || (start > s && st->prev_key))
		return;
	const char *end = strchr(start + 1, ']');
	if (!end)
		return;
	char name[INI_FILE_MAX_LINE + 2];
	size_t n = (size_t)(end - start - 1);
	memcpy(name, start + 1, n);
	name[n] = '\0';
	st->prev_key = false;
	st->handler(st->user, name, NULL, NULL, st->line);
}

/* Removes a '#' comment that starts at the line or after whitespace;
 * ';' inline comments are handled by inih itself. */
static void strip_hash_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || *(p - 1) == ' ' || *(p - 1) == '\t')) {
			*p = '\n';
			p[1] = '\0';
			return;
		}
	}
}

static char *ini_file_reader(char *str, int num, void *stream)
{
	struct ini_file_state *st = stream;
	char buf[INI_FILE_MAX_LINE + 2];
	/* fgets cannot say how much it read when the line holds a NUL byte:
	 * it ends at the first '\n', else (last line, overlong line) at its
	 * terminator, the last NUL, as bytes it did not touch stay non-zero. */
	memset(buf, 0xFF, sizeof buf);
	if (!fgets(buf, sizeof buf, st->f))
		return NULL;
	st->line++;
	const char *newline = memchr(buf, '\n', sizeof buf);
	size_t len = newline ? (size_t)(newline - buf) + 1 : sizeof buf - 1;
	while (!newline && buf[len] != '\0')
		len--;
	if (len == sizeof buf - 1 && buf[len - 1] != '\n') {
		/* Overlong: swallow the rest and report. */
		int c;
		while ((c = fgetc(st->f)) != EOF && c != '\n')
			;
		if (!st->overlong) {
			st->overlong = true;
			st->overlong_line = st->line;
		}
		buf[0] = '\0';
		len = 0;
	}
	if (strlen(buf) != len) {
		/* A NUL byte would silently cut the line: make it a syntax
		 * error at this line instead (no '=', not a comment). */
		strcpy(buf, "\x01\n");
	}
	strip_hash_comment(buf);
	if ((int)strlen(buf) >= num) {
		if (!st->overlong) {
			st->overlong = true;
			st->overlong_line = st->line;
		}
		buf[0] = '\0';
	}
	report_section_header(st, buf);
	strcpy(str, buf);
	return str;
}

static int ini_file_handler(void *user, const char *section, const char *name, const char *value)
{
	struct ini_file_state *st = user;
	st->prev_key = true;
	return st->handler(st->user, section, name, value, st->line);
}

int ini_file_parse(FILE *f, ini_line_handler handler, void *user, int *bad_line)
{
	struct ini_file_state st = {.f = f, .handler = handler, .user = user};
	int rc = ini_parse_stream(ini_file_reader, &st, ini_file_handler, &st);
	if (st.overlong) {
		if (bad_line)
			*bad_line = st.overlong_line;
		return -1;
	}
	if (bad_line)
		*bad_line = rc > 0 ? rc : 0;
	return rc;
}
