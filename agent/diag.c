#include "agent/diag.h"

#include <stdarg.h>

void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	d->errors++;
	if (!d->out)
		return;
	fprintf(d->out, "%s:%d: ", file ? file : "-", line);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}
