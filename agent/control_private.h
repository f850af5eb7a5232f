/* Inside the control socket: one request as the handlers see it, and the
 * handlers themselves. agent/control.c owns the socket, admission and
 * client I/O; control_status.c, control_metrics.c and control_actions.c
 * answer the commands. The wire protocol is described in docs/cli.md. */
#ifndef DOCKSIDE_CONTROL_PRIVATE_H
#define DOCKSIDE_CONTROL_PRIVATE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;
struct control;

/* Counters of the control socket itself (status and metrics show them). */
struct control_stats {
	uint64_t connections;
	uint64_t requests;         /* requests answered (ok or not) */
	uint64_t errors;           /* answers with ok=false, refusals excluded */
	uint64_t refused;          /* peers refused by admission */
	uint64_t rejected_busy;    /* connections closed: too many clients */
	uint64_t timeouts;         /* clients closed for being too slow */
	uint64_t oversized;        /* requests over the size limit */
};

struct control_request {
	struct daemon *d;
	struct control *ctl;
	const cJSON *req;          /* the parsed request object (borrowed) */
	uid_t uid;                 /* the peer, from SO_PEERCRED */
	pid_t pid;
	cJSON *resp;               /* response object; handlers add members */
	const char *code;          /* error code when a handler fails */
	char error[512];           /* error message when a handler fails */
};

/* Records a failure: code is a short machine-readable word (see
 * docs/cli.md), the message is for people. Returns -1. */
int control_fail(struct control_request *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Request field helpers. control_get_int returns def when the field is
 * absent and fails the request (returning false) when it is present but
 * not an integer in [min, max]. */
bool control_get_int(struct control_request *r, const char *field, int64_t min, int64_t max, int64_t def,
		     int64_t *out);
/* Returns the string field, NULL when absent; fails the request (and sets
 * *bad) when present but not a string. */
const char *control_get_string(struct control_request *r, const char *field, bool *bad);

/* Adds an ISO 8601 time member, or null for 0. */
void control_add_time(cJSON *obj, const char *name, int64_t ms);

const struct control_stats *control_get_stats(const struct control *ctl);

/* Remembers that uid was audited tailing stream at now_ms; returns true if
 * a tail of the same (uid, stream) was audited within the follow window,
 * refreshing it (then a follow-up request needs no new audit entry). */
bool control_follow_seen(struct control *ctl, uid_t uid, const char *stream, int64_t now_ms, bool refresh_only);

/* Handlers: 0 on success (members added to r->resp), -1 after control_fail. */
int control_handle_status(struct control_request *r);
int control_handle_metrics(struct control_request *r);
int control_handle_tail(struct control_request *r);
int control_handle_quarantine_list(struct control_request *r);
int control_handle_quarantine_assign(struct control_request *r);
int control_handle_quarantine_drop(struct control_request *r);
int control_handle_replay(struct control_request *r);
int control_handle_audit_verify(struct control_request *r);
int control_handle_audit_list(struct control_request *r);

#endif
