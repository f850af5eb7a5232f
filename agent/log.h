/* Leveled logging on stderr.
 *
 * Every line names what it concerns: pass the device or tenant name as
 * `who` ("device dock-1", "tenant acme", "store", ...). log_*_errno variants
 * append strerror(errno). Never pass a secret to any of these.
 */
#ifndef DOCKSIDE_LOG_H
#define DOCKSIDE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
/* Parse "error", "warn", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_msg_errno(enum log_level level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(who, ...) log_msg(LOG_LVL_ERROR, who, __VA_ARGS__)
#define log_warn(who, ...)  log_msg(LOG_LVL_WARN, who, __VA_ARGS__)
#define log_info(who, ...)  log_msg(LOG_LVL_INFO, who, __VA_ARGS__)
#define log_debug(who, ...) log_msg(LOG_LVL_DEBUG, who, __VA_ARGS__)
#define log_error_errno(who, ...) log_msg_errno(LOG_LVL_ERROR, who, __VA_ARGS__)
#define log_warn_errno(who, ...)  log_msg_errno(LOG_LVL_WARN, who, __VA_ARGS__)

#endif
