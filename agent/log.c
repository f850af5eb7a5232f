#include "agent/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_level current_level = LOG_LVL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level) { current_level = level; }

int log_level_parse(const char *s)
{
	for (int i = 0; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

static void log_vwrite(enum log_level level, const char *who, const char *suffix,
		       const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void log_vwrite(enum log_level level, const char *who, const char *suffix,
		       const char *fmt, va_list ap)
{
	char msg[1024];
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	if (level > current_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line so concurrent writers do not interleave. */
	fprintf(stderr, "%s.%03ldZ %-5s %s: %s%s%s\n", stamp, ts.tv_nsec / 1000000L,
		level_names[level], who ? who : "dockside", msg,
		suffix ? ": " : "", suffix ? suffix : "");
}

void log_msg(enum log_level level, const char *who, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(level, who, NULL, fmt, ap);
	va_end(ap);
}

void log_msg_errno(enum log_level level, const char *who, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(level, who, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}
