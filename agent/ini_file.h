/* INI parsing with line numbers, on top of inih.
 *
 * Debian's libinih is built without line numbers in its handler, so the
 * reader here feeds inih one line at a time and tracks the line itself.
 * Comments start with ';' or '#' at the beginning of a line, or after
 * whitespace inside a line. Lines longer than INI_FILE_MAX_LINE are an
 * error rather than silently split.
 */
#ifndef DOCKSIDE_INI_FILE_H
#define DOCKSIDE_INI_FILE_H

#include <stdio.h>

/* inih (as packaged) reads at most 199 characters per line; a longer line
 * is reported, never silently split. Long lists continue on indented lines. */
#define INI_FILE_MAX_LINE 4096

/* name == NULL for a section header line. Return 0 to stop parsing. */
typedef int (*ini_line_handler)(void *user, const char *section, const char *name,
				const char *value, int line);

/* Parses an open file. Returns 0 on success, the first line with a syntax
 * error (> 0), or -1 on a read error / overlong line (*bad_line set when
 * known). */
int ini_file_parse(FILE *f, ini_line_handler handler, void *user, int *bad_line);

#endif
