/* The control socket's actions on stored data: tail, quarantine, replay
 * and the audit log itself. Every action on tenant data is written to the
 * audit log with the peer's uid (SO_PEERCRED): tail before any data is
 * shown (no entry, no data), assign/drop/replay right after the action. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/control_private.h"
#include "agent/daemon.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "agent/util.h"
#include "sync/store.h"
#include "sync/uplink.h"

#define CONTROL_WHO "control"
#define TAIL_DEFAULT 20
#define TAIL_MAX 10000
#define TAIL_MAX_BYTES (8 * 1024 * 1024)
#define QUARANTINE_LIST_DEFAULT 1000
#define QUARANTINE_LIST_MAX 100000
#define AUDIT_LIST_DEFAULT 20
#define AUDIT_LIST_MAX 100000
/* Seqs and ids travel as JSON numbers: integers are exact up to 2^53. */
#define JSON_INT_MAX 9007199254740991LL

/* Looks a configured tenant up from the request; fails the request when
 * the field is missing (if required), malformed or names no tenant. */
static const char *request_tenant(struct control_request *r, bool required)
{
	bool bad = false;
	const char *t = control_get_string(r, "tenant", &bad);
	if (bad)
		return NULL;
	if (!t) {
		if (required)
			control_fail(r, "bad_request", "\"tenant\" is required");
		return NULL;
	}
	if (!tenant_id_valid(t) || !config_find_tenant(r->d->cfg, t)) {
		/* Echo the name only when it is a well-formed tenant id. */
		if (tenant_id_valid(t))
			control_fail(r, "unknown_tenant", "unknown tenant '%s': not in the configuration", t);
		else
			control_fail(r, "unknown_tenant", "unknown tenant: not a valid tenant id");
		return NULL;
	}
	return t;
}

static int audit(struct control_request *r, const char *tenant, const char *action, const char *detail)
{
	if (store_audit_append(r->d->store, wall_now_ms(), (long)r->uid, tenant, action, detail) != 0) {
		log_error(CONTROL_WHO, "audit entry for %s by uid %u could not be written", action, (unsigned)r->uid);
		return -1;
	}
	return 0;
}

/* ---- tail -------------------------------------------------------------- */

struct tail_ctx {
	cJSON *events;
	int64_t last_seq;
	size_t count;
};

static int tail_row(void *arg, int64_t seq, const char *body, size_t len)
{
	struct tail_ctx *t = arg;
	cJSON *ev = cJSON_ParseWithLength(body, len);
	if (!ev)
		ev = cJSON_CreateStringReference("(stored event is not valid JSON)");
	cJSON_AddItemToArray(t->events, ev);
	t->last_seq = seq;
	t->count++;
	return 0;
}

int control_handle_tail(struct control_request *r)
{
	struct daemon *d = r->d;
	const char *tenant = NULL;
	int64_t n, from;

	if (cJSON_GetObjectItemCaseSensitive(r->req, "tenant")) {
		tenant = request_tenant(r, true);
		if (!tenant)
			return -1;
	}
	if (!control_get_int(r, "n", 1, TAIL_MAX, TAIL_DEFAULT, &n) ||
	    !control_get_int(r, "from", 0, JSON_INT_MAX, 0, &from))
		return -1;
	bool follow_start = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->req, "follow"));
	bool follow_continue = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->req, "follow_continue"));
	const char *stream = tenant ? tenant : STORE_SITE_STREAM;

	struct store_stream_info info;
	store_stream_info(d->store, stream, &info);
	if (from == 0) {
		/* The last n events. */
		from = info.last_seq - n + 1;
		if (from < info.first_retained_seq)
			from = info.first_retained_seq;
		if (from < 1)
			from = 1;
	}

	/* Tenant data is shown only after its audit entry is written. The
	 * follow-up requests of an audited `tail -f` ("follow": true on the
	 * first) by the same uid are not audited again; a follow-up without
	 * such a start, or one that comes too late, is. */
	if (tenant) {
		int64_t now = loop_now_ms();
		if (!(follow_continue && control_follow_seen(r->ctl, r->uid, tenant, now, true))) {
			char detail[128];
			snprintf(detail, sizeof detail, "from_seq=%lld max_events=%lld follow=%s", (long long)from,
				 (long long)n, follow_start || follow_continue ? "yes" : "no");
			if (audit(r, tenant, "tail", detail) != 0)
				return control_fail(r, "audit_failed",
						    "the audit entry could not be written; no tenant data shown");
			if (follow_start || follow_continue)
				control_follow_seen(r->ctl, r->uid, tenant, now, false);
			log_info(CONTROL_WHO, "uid %u reads events of tenant %s (audited)", (unsigned)r->uid, tenant);
		}
	}

	struct tail_ctx t = {.events = cJSON_AddArrayToObject(r->resp, "events"), .last_seq = 0};
	if (!t.events)
		return control_fail(r, "error", "out of memory");
	if (store_read_events(d->store, stream, from, -1, (size_t)n, TAIL_MAX_BYTES, tail_row, &t) < 0)
		return control_fail(r, "error", "reading the store failed (see the daemon's log)");
	cJSON_AddStringToObject(r->resp, "stream", stream);
	cJSON_AddNumberToObject(r->resp, "from", (double)from);
	cJSON_AddNumberToObject(r->resp, "next_from", (double)(t.count ? t.last_seq + 1 : from));
	cJSON_AddNumberToObject(r->resp, "stream_last_seq", (double)info.last_seq);
	return 0;
}

/* ---- quarantine -------------------------------------------------------- */

struct quarantine_list_ctx {
	cJSON *rows;
	int64_t limit;
	int64_t total;
};

static cJSON *quarantine_row_json(const struct store_quarantine_row *row)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)row->id);
	control_add_time(o, "ts", row->ts_ms);
	cJSON_AddStringToObject(o, "device", row->device ? row->device : "");
	if (row->stream)
		cJSON_AddStringToObject(o, "stream", row->stream);
	else
		cJSON_AddNullToObject(o, "stream");
	cJSON_AddNumberToObject(o, "orig_seq", (double)row->orig_seq);
	cJSON_AddStringToObject(o, "reason", row->reason ? row->reason : "");
	cJSON *ev = row->body ? cJSON_Parse(row->body) : NULL;
	if (ev)
		cJSON_AddItemToObject(o, "event", ev);
	else
		cJSON_AddNullToObject(o, "event");
	return o;
}

static void quarantine_list_row(void *arg, const struct store_quarantine_row *row)
{
	struct quarantine_list_ctx *q = arg;
	q->total++;
	if (q->total <= q->limit)
		cJSON_AddItemToArray(q->rows, quarantine_row_json(row));
}

int control_handle_quarantine_list(struct control_request *r)
{
	struct quarantine_list_ctx q = {0};
	if (!control_get_int(r, "n", 1, QUARANTINE_LIST_MAX, QUARANTINE_LIST_DEFAULT, &q.limit))
		return -1;
	q.rows = cJSON_AddArrayToObject(r->resp, "quarantine");
	if (!q.rows)
		return control_fail(r, "error", "out of memory");
	if (store_quarantine_list(r->d->store, quarantine_list_row, &q) < 0)
		return control_fail(r, "error", "reading the quarantine failed (see the daemon's log)");
	cJSON_AddNumberToObject(r->resp, "count", (double)q.total);
	cJSON_AddBoolToObject(r->resp, "truncated", q.total > q.limit);
	return 0;
}

/* What an audit entry needs to know about one quarantined event. */
struct quarantine_find_ctx {
	int64_t id;
	bool found;
	char device[DS_NAME_MAX + 1];
	char stream[DS_NAME_MAX + 1];
	bool has_stream;
	char reason[256];
};

static void quarantine_find_row(void *arg, const struct store_quarantine_row *row)
{
	struct quarantine_find_ctx *f = arg;
	if (f->found || row->id != f->id)
		return;
	f->found = true;
	str_copy(f->device, sizeof f->device, row->device ? row->device : "");
	str_copy(f->reason, sizeof f->reason, row->reason ? row->reason : "");
	f->has_stream = row->stream && row->stream[0];
	str_copy(f->stream, sizeof f->stream, f->has_stream ? row->stream : "");
}

static int quarantine_find(struct control_request *r, struct quarantine_find_ctx *f)
{
	if (!control_get_int(r, "id", 1, JSON_INT_MAX, 0, &f->id))
		return -1;
	if (f->id == 0)
		return control_fail(r, "bad_request", "\"id\" is required");
	if (store_quarantine_list(r->d->store, quarantine_find_row, f) < 0)
		return control_fail(r, "error", "reading the quarantine failed (see the daemon's log)");
	if (!f->found)
		return control_fail(r, "not_found", "no quarantined event with id %lld", (long long)f->id);
	return 0;
}

int control_handle_quarantine_assign(struct control_request *r)
{
	struct quarantine_find_ctx f = {0};
	const char *tenant = request_tenant(r, true);
	if (!tenant || quarantine_find(r, &f) < 0)
		return -1;
	int64_t new_seq = 0;
	if (store_quarantine_assign(r->d->store, f.id, tenant, &new_seq) != 0) {
		if (errno == ENOENT)
			return control_fail(r, "not_found", "no quarantined event with id %lld", (long long)f.id);
		return control_fail(r, "error", "assigning quarantined event %lld failed (see the daemon's log)",
				    (long long)f.id);
	}
	uplink_notify(r->d->uplink, tenant);
	log_info(CONTROL_WHO, "uid %u assigned quarantined event %lld (device %s) to tenant %s as seq %lld",
		 (unsigned)r->uid, (long long)f.id, f.device, tenant, (long long)new_seq);

	char detail[512];
	snprintf(detail, sizeof detail, "quarantine_id=%lld seq=%lld device=%s reason=%s", (long long)f.id,
		 (long long)new_seq, f.device, f.reason);
	if (audit(r, tenant, "quarantine-assign", detail) != 0)
		return control_fail(r, "audit_failed",
				    "event %lld was assigned to %s as seq %lld, but the audit entry could not be written",
				    (long long)f.id, tenant, (long long)new_seq);
	cJSON_AddNumberToObject(r->resp, "id", (double)f.id);
	cJSON_AddStringToObject(r->resp, "tenant", tenant);
	cJSON_AddNumberToObject(r->resp, "seq", (double)new_seq);
	return 0;
}

int control_handle_quarantine_drop(struct control_request *r)
{
	struct quarantine_find_ctx f = {0};
	if (quarantine_find(r, &f) < 0)
		return -1;
	if (store_quarantine_drop(r->d->store, f.id) != 0) {
		if (errno == ENOENT)
			return control_fail(r, "not_found", "no quarantined event with id %lld", (long long)f.id);
		return control_fail(r, "error", "dropping quarantined event %lld failed (see the daemon's log)",
				    (long long)f.id);
	}
	log_info(CONTROL_WHO, "uid %u dropped quarantined event %lld (device %s)", (unsigned)r->uid,
		 (long long)f.id, f.device);

	char detail[512];
	snprintf(detail, sizeof detail, "quarantine_id=%lld device=%s reason=%s", (long long)f.id, f.device,
		 f.reason);
	if (audit(r, f.has_stream ? f.stream : NULL, "quarantine-drop", detail) != 0)
		return control_fail(r, "audit_failed",
				    "event %lld was dropped, but the audit entry could not be written", (long long)f.id);
	cJSON_AddNumberToObject(r->resp, "id", (double)f.id);
	return 0;
}

/* ---- replay ------------------------------------------------------------ */

int control_handle_replay(struct control_request *r)
{
	int64_t from, to;
	const char *tenant = request_tenant(r, true);
	if (!tenant || !control_get_int(r, "from", 1, JSON_INT_MAX, 0, &from) ||
	    !control_get_int(r, "to", 1, JSON_INT_MAX, -1, &to))
		return -1;
	if (from == 0)
		return control_fail(r, "bad_request", "\"from\" is required");
	if (to >= 0 && to < from)
		return control_fail(r, "bad_request", "\"to\" (%lld) is below \"from\" (%lld)", (long long)to,
				    (long long)from);

	/* The range uplink_replay will use: retained and acknowledged events
	 * (unacknowledged ones are on their way anyway). */
	struct store_stream_info info;
	store_stream_info(r->d->store, tenant, &info);
	int64_t eff_from = from < info.first_retained_seq ? info.first_retained_seq : from;
	int64_t eff_to = to < 0 || to > info.acked_seq ? info.acked_seq : to;

	if (uplink_replay(r->d->uplink, tenant, from, to) != 0) {
		if (errno == ENOENT)
			return control_fail(r, "unknown_tenant", "unknown tenant '%s'", tenant);
		char upto[32] = "end";
		if (to >= 0)
			snprintf(upto, sizeof upto, "%lld", (long long)to);
		if (info.acked_seq == 0)
			return control_fail(r, "nothing_retained",
					    "tenant %s has no acknowledged events to replay", tenant);
		return control_fail(r, "nothing_retained",
				    "tenant %s has no retained acknowledged events in seq %lld..%s"
				    " (retained and acknowledged: %lld..%lld)",
				    tenant, (long long)from, upto, (long long)info.first_retained_seq,
				    (long long)info.acked_seq);
	}
	char detail[160];
	snprintf(detail, sizeof detail, "from_seq=%lld to_seq=%lld requested_from=%lld requested_to=%lld",
		 (long long)eff_from, (long long)eff_to, (long long)from, (long long)to);
	if (audit(r, tenant, "replay", detail) != 0)
		return control_fail(r, "audit_failed",
				    "replay of %s seq %lld..%lld started, but the audit entry could not be written",
				    tenant, (long long)eff_from, (long long)eff_to);
	log_info(CONTROL_WHO, "uid %u replays tenant %s seq %lld..%lld", (unsigned)r->uid, tenant,
		 (long long)eff_from, (long long)eff_to);
	cJSON_AddStringToObject(r->resp, "tenant", tenant);
	cJSON_AddNumberToObject(r->resp, "from", (double)eff_from);
	cJSON_AddNumberToObject(r->resp, "to", (double)eff_to);
	return 0;
}

/* ---- audit log --------------------------------------------------------- */

static void audit_count_row(void *arg, const struct store_audit_row *row)
{
	(void)row;
	(*(int64_t *)arg)++;
}

int control_handle_audit_verify(struct control_request *r)
{
	int64_t bad_id = 0, entries = 0;
	int rc = store_audit_verify(r->d->store, &bad_id);
	if (rc < 0 || store_audit_list(r->d->store, 0, audit_count_row, &entries) < 0)
		return control_fail(r, "error", "reading the audit log failed (see the daemon's log)");
	cJSON_AddBoolToObject(r->resp, "intact", rc == 0);
	cJSON_AddNumberToObject(r->resp, "entries", (double)entries);
	if (rc == 1) {
		cJSON_AddNumberToObject(r->resp, "first_broken_id", (double)bad_id);
		log_warn(CONTROL_WHO, "audit log verification failed at entry %lld (requested by uid %u)",
			 (long long)bad_id, (unsigned)r->uid);
	} else {
		cJSON_AddNullToObject(r->resp, "first_broken_id");
	}
	return 0;
}

static void audit_list_row(void *arg, const struct store_audit_row *row)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return;
	cJSON_AddNumberToObject(o, "id", (double)row->id);
	control_add_time(o, "ts", row->ts_ms);
	cJSON_AddNumberToObject(o, "uid", (double)row->uid);
	if (row->tenant && row->tenant[0])
		cJSON_AddStringToObject(o, "tenant", row->tenant);
	else
		cJSON_AddNullToObject(o, "tenant");
	cJSON_AddStringToObject(o, "action", row->action ? row->action : "");
	cJSON_AddStringToObject(o, "detail", row->detail ? row->detail : "");
	cJSON_AddStringToObject(o, "hash", row->hash ? row->hash : "");
	cJSON_AddItemToArray(arg, o);
}

int control_handle_audit_list(struct control_request *r)
{
	int64_t n;
	if (!control_get_int(r, "n", 1, AUDIT_LIST_MAX, AUDIT_LIST_DEFAULT, &n))
		return -1;
	cJSON *rows = cJSON_AddArrayToObject(r->resp, "entries");
	if (!rows)
		return control_fail(r, "error", "out of memory");
	if (store_audit_list(r->d->store, n, audit_list_row, rows) < 0)
		return control_fail(r, "error", "reading the audit log failed (see the daemon's log)");
	return 0;
}
