/* The outbox: group commit of events, acks and counters; streaming reads;
 * per-stream watermarks; retention. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/log.h"
#include "sync/store_private.h"

static const char *const kind_names[KIND_COUNT] = { "scan", "weight", "conveyor", "device" };

int store_kind_index(const char *kind)
{
	for (int k = 0; k < KIND_COUNT; k++)
		if (kind && strcmp(kind, kind_names[k]) == 0)
			return k;
	return -1;
}

bool store_stream_name_valid(const char *name)
{
	return name && (strcmp(name, STORE_SITE_STREAM) == 0 || tenant_id_valid(name));
}

int store_bind_text(sqlite3_stmt *s, int idx, const char *text)
{
	if (!text)
		return sqlite3_bind_null(s, idx);
	return sqlite3_bind_text(s, idx, text, -1, SQLITE_STATIC);
}

struct stream_state *store_stream_find(struct store *st, const char *name, bool create)
{
	for (size_t i = 0; i < st->n_streams; i++)
		if (strcmp(st->streams[i].name, name) == 0)
			return &st->streams[i];
	if (!create || !store_stream_name_valid(name))
		return NULL;
	if (st->n_streams == st->cap_streams) {
		size_t cap = st->cap_streams ? st->cap_streams * 2 : 8;
		struct stream_state *p = realloc(st->streams, cap * sizeof *p);
		if (!p)
			return NULL;
		st->streams = p;
		st->cap_streams = cap;
	}
	struct stream_state *ss = &st->streams[st->n_streams++];
	memset(ss, 0, sizeof *ss);
	str_copy(ss->name, sizeof ss->name, name);
	return ss;
}

/* ---- transactions ---------------------------------------------------- */

int store_map_error(struct store *st, int rc)
{
	int primary = rc & 0xff;
	if (primary == SQLITE_FULL ||
	    (primary == SQLITE_IOERR && sqlite3_system_errno(st->db) == ENOSPC))
		return STORE_ERR_FULL;
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return STORE_ERR_BUSY;
	return STORE_ERR;
}

/* Copies n elements of size sz into *dst, growing it as needed. */
static bool snapshot_copy(void **dst, size_t *cap, const void *src, size_t n, size_t sz)
{
	if (n > *cap) {
		void *p = realloc(*dst, n * sz);
		if (!p)
			return false;
		*dst = p;
		*cap = n;
	}
	if (n)
		memcpy(*dst, src, n * sz);
	return true;
}

static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_txn_begin(struct store *st)
{
	if (st->in_txn || st->reading) {
		log_error(STORE_WHO, "transaction requested while one is open (re-entrant call)");
		return STORE_ERR;
	}
	if (!snapshot_copy((void **)&st->snap_streams, &st->snap_cap_streams, st->streams,
			   st->n_streams, sizeof *st->streams) ||
	    !snapshot_copy((void **)&st->snap_counters, &st->snap_cap_counters, st->counters,
			   st->n_counters, sizeof *st->counters)) {
		log_error(STORE_WHO, "out of memory");
		return STORE_ERR;
	}
	st->snap_n_streams = st->n_streams;
	st->snap_n_counters = st->n_counters;
	int rc = step_done(st->stmt[STMT_BEGIN]);
	if (rc != SQLITE_OK) {
		int status = store_map_error(st, rc);
		log_warn(STORE_WHO, "%s: begin: %s", st->path, sqlite3_errmsg(st->db));
		return status;
	}
	st->in_txn = true;
	return STORE_OK;
}

int store_txn_fail(struct store *st, int rc, const char *what)
{
	int status = store_map_error(st, rc);
	if (status == STORE_ERR_FULL) {
		if (!st->full)
			log_warn(STORE_WHO, "%s: disk full during %s; nothing committed, will retry", st->path, what);
		st->full = true;
	} else if (rc != SQLITE_OK) { /* SQLITE_OK: a plain rollback */
		log_error(STORE_WHO, "%s: %s failed: %s (%s)", st->path, what, sqlite3_errstr(rc),
			  sqlite3_errmsg(st->db));
	}
	if (!sqlite3_get_autocommit(st->db))
		step_done(st->stmt[STMT_ROLLBACK]);
	/* Memory goes back to what the database holds. */
	memcpy(st->streams, st->snap_streams, st->snap_n_streams * sizeof *st->streams);
	st->n_streams = st->snap_n_streams;
	if (st->snap_n_counters)
		memcpy(st->counters, st->snap_counters, st->snap_n_counters * sizeof *st->counters);
	st->n_counters = st->snap_n_counters;
	st->in_txn = false;
	return status;
}

static int write_stream_row(struct store *st, const struct stream_state *ss)
{
	sqlite3_stmt *s = st->stmt[STMT_STREAM_UPSERT];
	sqlite3_bind_text(s, 1, ss->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, ss->last_seq);
	sqlite3_bind_int64(s, 3, ss->acked_seq);
	for (int k = 0; k < KIND_COUNT; k++)
		sqlite3_bind_int64(s, 4 + k, ss->kind_count[k]);
	return step_done(s);
}

static int write_counter(struct store *st, const struct pending_counter *pc)
{
	sqlite3_stmt *s = st->stmt[STMT_COUNTER_ADD];
	sqlite3_bind_text(s, 1, pc->stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, pc->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, pc->n);
	return step_done(s);
}

int store_txn_commit(struct store *st)
{
	int rc = SQLITE_OK;
	for (size_t i = 0; i < st->n_streams && rc == SQLITE_OK; i++)
		if (st->streams[i].dirty)
			rc = write_stream_row(st, &st->streams[i]);
	for (size_t i = 0; i < st->n_counters && rc == SQLITE_OK; i++)
		rc = write_counter(st, &st->counters[i]);
	if (rc == SQLITE_OK)
		rc = step_done(st->stmt[STMT_COMMIT]);
	if (rc != SQLITE_OK)
		return store_txn_fail(st, rc, "commit");
	for (size_t i = 0; i < st->n_streams; i++) {
		if (st->streams[i].dirty)
			st->streams[i].in_db = true;
		st->streams[i].dirty = false;
	}
	st->n_counters = 0;
	st->in_txn = false;
	if (st->full) {
		log_info(STORE_WHO, "%s: writes succeed again after disk full", st->path);
		st->full = false;
	}
	return STORE_OK;
}

/* ---- composing and appending events ---------------------------------- */

static void append_i64(struct strbuf *sb, int64_t v)
{
	char tmp[24];
	char *p = tmp + sizeof tmp;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	strbuf_append(sb, p, (size_t)(tmp + sizeof tmp - p));
}

static void append_json_str(struct strbuf *sb, const char *s)
{
	if (!s)
		s = "";
	json_append_cstring(sb, s);
}

/* Same text as format_iso8601_ms, formatting each second once. */
static void format_ts(struct ts_cache *tc, int64_t ts_ms, char out[40])
{
	int64_t sec = ts_ms / 1000, ms = ts_ms % 1000;
	if (ms < 0 || sec < 0 || sec > 253402300799LL) { /* outside years 1970-9999 */
		format_iso8601_ms(ts_ms, out, 40);
		return;
	}
	if (!tc->valid || tc->sec != sec) {
		format_iso8601_ms(sec * 1000, out, 40);
		size_t len = strlen(out);
		if (len < 5 || len - 5 >= sizeof tc->prefix) {
			tc->valid = false;
			format_iso8601_ms(ts_ms, out, 40);
			return;
		}
		memcpy(tc->prefix, out, len - 5); /* drop ".000Z" */
		tc->prefix[len - 5] = '\0';
		tc->sec = sec;
		tc->valid = true;
	}
	size_t n = strlen(tc->prefix);
	memcpy(out, tc->prefix, n);
	out[n] = '.';
	out[n + 1] = (char)('0' + ms / 100);
	out[n + 2] = (char)('0' + ms / 10 % 10);
	out[n + 3] = (char)('0' + ms % 10);
	out[n + 4] = 'Z';
	out[n + 5] = '\0';
}

void store_compose_body(struct strbuf *sb, struct ts_cache *tc, const char *gateway_id, const char *stream,
			int64_t seq, int64_t ts_ms, const char *device, const char *station,
			const char *kind, const char *data, int64_t quarantine_id)
{
	char ts[40];
	format_ts(tc, ts_ms, ts);
	strbuf_reset(sb);
	strbuf_append(sb, "{", 1);
	if (stream) {
		/* Names are validated, but the id is still escaped like any string. */
		size_t mark = sb->len;
		strbuf_puts(sb, gateway_id);
		strbuf_append(sb, "/", 1);
		strbuf_puts(sb, stream);
		strbuf_append(sb, "/", 1);
		append_i64(sb, seq);
		if (sb->failed)
			return;
		size_t idlen = sb->len - mark;
		char id[3 * (DS_NAME_MAX + 1) + 24];
		if (idlen >= sizeof id)
			idlen = sizeof id - 1;
		memcpy(id, sb->buf + mark, idlen);
		sb->len = mark;
		strbuf_append(sb, "\"id\":", 5);
		json_append_string(sb, id, idlen, NULL);
		strbuf_append(sb, ",\"seq\":", 7);
		append_i64(sb, seq);
		strbuf_append(sb, ",", 1);
	}
	strbuf_append(sb, "\"ts\":\"", 6);
	strbuf_puts(sb, ts);
	strbuf_append(sb, "\",\"device\":", 11);
	append_json_str(sb, device);
	if (station && *station) {
		strbuf_append(sb, ",\"station\":", 11);
		append_json_str(sb, station);
	}
	strbuf_append(sb, ",\"kind\":", 8);
	append_json_str(sb, kind);
	strbuf_append(sb, ",\"data\":", 8);
	strbuf_puts(sb, data && *data ? data : "{}");
	if (quarantine_id > 0) {
		strbuf_append(sb, ",\"quarantine_id\":", 17);
		append_i64(sb, quarantine_id);
	}
	strbuf_append(sb, "}", 1);
}

int store_append_event(struct store *st, struct stream_state *ss, int64_t ts_ms,
		       const char *device, const char *station, const char *kind,
		       const char *data, int64_t quarantine_id, int64_t *seq_out)
{
	int64_t seq = ss->last_seq + 1;
	store_compose_body(&st->body, &st->ts_cache, st->gateway_id, ss->name, seq, ts_ms, device, station, kind,
			   data, quarantine_id);
	if (st->body.failed)
		return SQLITE_NOMEM;
	sqlite3_stmt *s = st->stmt[STMT_EVENT_INSERT];
	sqlite3_bind_text(s, 1, ss->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_int64(s, 3, ts_ms);
	sqlite3_bind_text(s, 4, kind ? kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, st->body.buf, (int)st->body.len, SQLITE_STATIC);
	int rc = step_done(s);
	if (rc != SQLITE_OK)
		return rc;
	ss->last_seq = seq;
	int k = store_kind_index(kind);
	if (k >= 0)
		ss->kind_count[k]++;
	ss->dirty = true;
	*seq_out = seq;
	return SQLITE_OK;
}

static int quarantine_at_commit(struct store *st, struct store_event *ev, const char *reason)
{
	store_compose_body(&st->body, &st->ts_cache, st->gateway_id, NULL, 0, ev->ts_ms, ev->device, ev->station,
			   ev->kind, ev->data, 0);
	if (st->body.failed)
		return SQLITE_NOMEM;
	sqlite3_stmt *s = st->stmt[STMT_QUARANTINE_INSERT];
	sqlite3_bind_int64(s, 1, ev->ts_ms);
	sqlite3_bind_text(s, 2, ev->device ? ev->device : "", -1, SQLITE_STATIC);
	store_bind_text(s, 3, ev->station && *ev->station ? ev->station : NULL);
	sqlite3_bind_text(s, 4, ev->kind ? ev->kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_null(s, 5);
	sqlite3_bind_int64(s, 6, 0);
	sqlite3_bind_text(s, 7, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, ev->data && *ev->data ? ev->data : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, st->body.buf, (int)st->body.len, SQLITE_STATIC);
	int rc = step_done(s);
	if (rc == SQLITE_OK)
		ev->quarantine_id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

int store_commit(struct store *st, struct store_event *evs, size_t n)
{
	int status = store_txn_begin(st);
	if (status != STORE_OK)
		return status;
	int rc = SQLITE_OK;
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		struct store_event *ev = &evs[i];
		ev->seq = 0;
		ev->quarantine_id = 0;
		struct stream_state *ss = NULL;
		const char *reason = ev->quarantine_reason ? ev->quarantine_reason : "unresolved";
		if (ev->stream) {
			ss = store_stream_find(st, ev->stream, true);
			if (!ss) {
				if (store_stream_name_valid(ev->stream)) {
					rc = SQLITE_NOMEM;
					break;
				}
				reason = "invalid_stream"; /* no guessing: keep it, unowned */
			}
		}
		if (!ss) {
			ev->outcome = STORE_EVENT_QUARANTINED;
			rc = quarantine_at_commit(st, ev, reason);
		} else if (ss->max_backlog > 0 && ss->last_seq - ss->acked_seq >= ss->max_backlog) {
			ev->outcome = STORE_EVENT_REFUSED_QUOTA;
			store_count(st, ss->name, "quota", 1);
		} else {
			ev->outcome = STORE_EVENT_COMMITTED;
			rc = store_append_event(st, ss, ev->ts_ms, ev->device, ev->station, ev->kind,
						ev->data, 0, &ev->seq);
		}
	}
	if (rc != SQLITE_OK) {
		status = store_txn_fail(st, rc, "event commit");
		for (size_t i = 0; i < n; i++) {
			evs[i].seq = 0;
			evs[i].quarantine_id = 0;
		}
		return status;
	}
	status = store_txn_commit(st);
	if (status != STORE_OK)
		for (size_t i = 0; i < n; i++) {
			evs[i].seq = 0;
			evs[i].quarantine_id = 0;
		}
	return status;
}

bool store_has_pending(const struct store *st)
{
	if (st->n_counters)
		return true;
	for (size_t i = 0; i < st->n_streams; i++)
		if (st->streams[i].dirty)
			return true;
	return false;
}

int store_flush(struct store *st)
{
	if (!store_has_pending(st))
		return STORE_OK;
	int status = store_txn_begin(st);
	if (status != STORE_OK)
		return status;
	return store_txn_commit(st);
}

void store_set_max_backlog(struct store *st, const char *stream, int64_t max_backlog)
{
	struct stream_state *ss = store_stream_find(st, stream, true);
	if (ss)
		ss->max_backlog = max_backlog;
}

void store_ack(struct store *st, const char *stream, int64_t upto_seq)
{
	struct stream_state *ss = store_stream_find(st, stream, false);
	if (!ss)
		return;
	if (upto_seq > ss->last_seq)
		upto_seq = ss->last_seq; /* an ack for what was never stored is bogus */
	if (upto_seq > ss->acked_seq) {
		ss->acked_seq = upto_seq;
		ss->dirty = true;
	}
}

void store_count(struct store *st, const char *stream, const char *reason, int64_t n)
{
	if (!stream)
		stream = "";
	if (!reason || !*reason || n == 0)
		return;
	for (size_t i = 0; i < st->n_counters; i++) {
		struct pending_counter *pc = &st->counters[i];
		if (strncmp(pc->stream, stream, sizeof pc->stream - 1) == 0 &&
		    strncmp(pc->reason, reason, sizeof pc->reason - 1) == 0) {
			pc->n += n;
			return;
		}
	}
	if (st->n_counters == st->cap_counters) {
		size_t cap = st->cap_counters ? st->cap_counters * 2 : 8;
		struct pending_counter *p = realloc(st->counters, cap * sizeof *p);
		if (!p) {
			log_error(STORE_WHO, "out of memory: counter %s/%s lost", stream, reason);
			return;
		}
		st->counters = p;
		st->cap_counters = cap;
	}
	struct pending_counter *pc = &st->counters[st->n_counters++];
	memset(pc, 0, sizeof *pc);
	str_copy(pc->stream, sizeof pc->stream, stream);
	str_copy(pc->reason, sizeof pc->reason, reason);
	pc->n = n;
}

int store_list_counters(struct store *st, void (*cb)(void *arg, const char *stream, const char *reason, int64_t n),
			void *arg)
{
	sqlite3_stmt *s = st->stmt[STMT_COUNTERS_LIST];
	for (size_t i = 0; i < st->n_counters; i++)
		st->counters[i].seen = false;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *stream = (const char *)sqlite3_column_text(s, 0);
		const char *reason = (const char *)sqlite3_column_text(s, 1);
		int64_t n = sqlite3_column_int64(s, 2);
		stream = stream ? stream : "";
		reason = reason ? reason : "";
		for (size_t i = 0; i < st->n_counters; i++) {
			struct pending_counter *pc = &st->counters[i];
			if (!pc->seen && strcmp(pc->stream, stream) == 0 && strcmp(pc->reason, reason) == 0) {
				n += pc->n;
				pc->seen = true;
			}
		}
		cb(arg, stream, reason, n);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error(STORE_WHO, "%s: listing counters: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	for (size_t i = 0; i < st->n_counters; i++)
		if (!st->counters[i].seen)
			cb(arg, st->counters[i].stream, st->counters[i].reason, st->counters[i].n);
	return 0;
}

/* ---- reading --------------------------------------------------------- */

int store_read_events(struct store *st, const char *stream, int64_t from_seq, int64_t to_seq,
		      size_t max_events, size_t max_bytes, store_row_cb cb, void *arg)
{
	if (st->reading || !stream)
		return -1;
	sqlite3_stmt *s = st->stmt[STMT_READ_EVENTS];
	sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, from_seq);
	sqlite3_bind_int64(s, 3, to_seq < 0 ? INT64_MAX : to_seq);
	st->reading = true;
	int delivered = 0;
	size_t bytes = 0;
	int rc;
	while ((max_events == 0 || (size_t)delivered < max_events) && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *body = (const char *)sqlite3_column_text(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		if (!body)
			continue;
		if (max_bytes && delivered > 0 && bytes + len > max_bytes) {
			rc = SQLITE_DONE;
			break;
		}
		bytes += len;
		delivered++;
		if (cb(arg, seq, body, len) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (max_events && (size_t)delivered >= max_events)
		rc = SQLITE_DONE;
	sqlite3_reset(s); /* ends the read transaction so checkpoints can proceed */
	sqlite3_clear_bindings(s);
	st->reading = false;
	if (rc != SQLITE_DONE) {
		log_error(STORE_WHO, "%s: reading stream %s: %s", st->path, stream, sqlite3_errmsg(st->db));
		return -1;
	}
	return delivered;
}

static int64_t query_int(struct store *st, enum store_stmt which, const char *stream, int64_t arg2)
{
	sqlite3_stmt *s = st->stmt[which];
	sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, arg2);
	int64_t v = 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return v;
}

int64_t store_acked_seq(struct store *st, const char *stream)
{
	struct stream_state *ss = store_stream_find(st, stream, false);
	return ss ? ss->acked_seq : 0;
}

int store_stream_info(struct store *st, const char *stream, struct store_stream_info *info)
{
	memset(info, 0, sizeof *info);
	str_copy(info->stream, sizeof info->stream, stream ? stream : "");
	struct stream_state *ss = stream ? store_stream_find(st, stream, false) : NULL;
	if (!ss || (!ss->in_db && ss->last_seq == 0))
		return -1;
	info->last_seq = ss->last_seq;
	info->acked_seq = ss->acked_seq;
	info->backlog = ss->last_seq - ss->acked_seq;
	info->first_retained_seq = query_int(st, STMT_FIRST_SEQ, ss->name, 0);
	if (info->backlog > 0)
		info->oldest_unacked_ts_ms = query_int(st, STMT_OLDEST_UNACKED, ss->name, ss->acked_seq);
	info->count_scan = ss->kind_count[KIND_SCAN];
	info->count_weight = ss->kind_count[KIND_WEIGHT];
	info->count_conveyor = ss->kind_count[KIND_CONVEYOR];
	info->count_device = ss->kind_count[KIND_DEVICE];
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp((*(const struct stream_state *const *)a)->name,
		      (*(const struct stream_state *const *)b)->name);
}

int store_list_streams(struct store *st, void (*cb)(void *arg, const struct store_stream_info *info), void *arg)
{
	/* Names are copied first: cb may register new streams (realloc). */
	size_t n = st->n_streams;
	if (n == 0)
		return 0;
	struct stream_state **order = malloc(n * sizeof *order);
	char (*names)[DS_NAME_MAX + 1] = malloc(n * sizeof *names);
	int ret = -1;
	if (!order || !names)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		order[i] = &st->streams[i];
	qsort(order, n, sizeof *order, compare_names);
	for (size_t i = 0; i < n; i++)
		memcpy(names[i], order[i]->name, sizeof names[i]);
	for (size_t i = 0; i < n; i++) {
		struct store_stream_info info;
		if (store_stream_info(st, names[i], &info) == 0)
			cb(arg, &info);
	}
	ret = 0;
cleanup:
	free(order);
	free(names);
	return ret;
}

/* ---- retention ------------------------------------------------------- */

#define PRUNE_CHUNK 2000

/* Deletes the acknowledged prefix of one stream that is past retention,
 * PRUNE_CHUNK rows per transaction so the write lock is held briefly. */
static int64_t prune_stream(struct store *st, struct stream_state *ss, int64_t now_ms)
{
	int64_t deleted = 0;
	int64_t count_cut = st->retention_events > 0 ? ss->acked_seq - st->retention_events : 0;
	int64_t age_cut = st->retention_ms > 0 ? now_ms - st->retention_ms : INT64_MIN;
	for (;;) {
		sqlite3_stmt *s = st->stmt[STMT_PRUNE_SCAN];
		sqlite3_bind_text(s, 1, ss->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, ss->acked_seq);
		sqlite3_bind_int64(s, 3, PRUNE_CHUNK);
		int64_t cut = 0;
		int rows = 0, qualified = 0, rc;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			int64_t seq = sqlite3_column_int64(s, 0);
			int64_t ts = sqlite3_column_int64(s, 1);
			rows++;
			if (seq > count_cut && ts >= age_cut)
				break; /* retention keeps a contiguous tail */
			cut = seq;
			qualified++;
		}
		sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			log_error(STORE_WHO, "%s: prune scan: %s", st->path, sqlite3_errmsg(st->db));
			return -1;
		}
		if (cut == 0)
			break;
		if (store_txn_begin(st) != STORE_OK)
			return -1;
		s = st->stmt[STMT_PRUNE_DELETE];
		sqlite3_bind_text(s, 1, ss->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, cut);
		rc = step_done(s);
		if (rc != SQLITE_OK) {
			store_txn_fail(st, rc, "prune");
			return -1;
		}
		int64_t changes = sqlite3_changes64(st->db);
		if (store_txn_commit(st) != STORE_OK)
			return -1;
		deleted += changes;
		if (qualified < PRUNE_CHUNK)
			break;
	}
	return deleted;
}

int64_t store_prune(struct store *st, int64_t now_ms)
{
	/* Acks first, durably: never delete on the strength of an ack that a
	 * crash could take back. */
	if (store_flush(st) != STORE_OK)
		return -1;
	int64_t total = 0;
	for (size_t i = 0; i < st->n_streams; i++) {
		if (st->streams[i].acked_seq <= 0)
			continue;
		int64_t n = prune_stream(st, &st->streams[i], now_ms);
		if (n < 0)
			return -1;
		total += n;
	}
	int log_frames = 0, ckpt_frames = 0;
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &ckpt_frames);
	if ((rc & 0xff) == SQLITE_BUSY)
		rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &ckpt_frames);
	if (rc != SQLITE_OK)
		log_warn(STORE_WHO, "%s: checkpoint: %s", st->path, sqlite3_errmsg(st->db));
	if (total)
		log_debug(STORE_WHO, "pruned %lld events past retention", (long long)total);
	return total;
}

int64_t store_size_bytes(struct store *st)
{
	struct stat sb;
	int64_t total = 0;
	if (stat(st->path, &sb) == 0)
		total += sb.st_size;
	if (stat(st->wal_path, &sb) == 0)
		total += sb.st_size;
	return total;
}
