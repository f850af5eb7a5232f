/* Diagnostics for configuration and profile files: every problem is one
 * line "FILE:LINE: message" (LINE 0 when the problem has no line). */
#ifndef DOCKSIDE_DIAG_H
#define DOCKSIDE_DIAG_H

#include <stdio.h>

struct diag {
	FILE *out;   /* where messages go; NULL: count only */
	int errors;  /* number of errors reported */
};

void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
