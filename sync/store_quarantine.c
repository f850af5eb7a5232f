/* Quarantine: events without a resolvable owner, and published batches the
 * broker refused for good. Nothing here is published until an operator
 * assigns it to a stream; a drop is counted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/log.h"
#include "sync/store_private.h"

/* The fields of a stored event body that a new body is built from.
 * device/station/kind point into json (owned by the caller, freed with
 * cJSON_Delete); data points into body itself. */
struct body_fields {
	cJSON *json;
	const char *device, *station, *kind;
	const char *data;
	size_t data_len;
};

/* Finds the "data" value's exact bytes: the first `,"data":` is the key
 * (inside a JSON string every quote is escaped), and the value's end is
 * where a JSON parser stops. Returns false on a body that is not ours. */
static bool body_split(const char *body, size_t len, struct body_fields *f)
{
	memset(f, 0, sizeof *f);
	f->json = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(f->json))
		return false;
	f->device = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f->json, "device"));
	f->station = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f->json, "station"));
	f->kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f->json, "kind"));
	const char *key = strstr(body, ",\"data\":");
	if (!f->device || !f->kind || !key)
		return false;
	const char *start = key + 8;
	const char *end = NULL;
	cJSON *data = cJSON_ParseWithLengthOpts(start, len - (size_t)(start - body), &end, false);
	bool ok = data != NULL && end > start;
	cJSON_Delete(data);
	if (!ok)
		return false;
	f->data = start;
	f->data_len = (size_t)(end - start);
	return true;
}

static void body_fields_free(struct body_fields *f)
{
	cJSON_Delete(f->json);
	f->json = NULL;
}

int store_quarantine_range(struct store *st, const char *stream, int64_t from_seq, int64_t to_seq,
			   const char *reason)
{
	struct stream_state *ss = stream ? store_stream_find(st, stream, false) : NULL;
	if (!ss || from_seq > to_seq || !reason || !*reason) {
		errno = EINVAL;
		return -1;
	}
	if (store_txn_begin(st) != STORE_OK)
		return -1;
	sqlite3_stmt *sel = st->stmt[STMT_RANGE_SELECT];
	sqlite3_stmt *ins = st->stmt[STMT_QUARANTINE_INSERT];
	char *data = NULL;
	int moved = 0, rc;
	sqlite3_bind_text(sel, 1, ss->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sel, 2, from_seq);
	sqlite3_bind_int64(sel, 3, to_seq);
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(sel, 0);
		const char *body = (const char *)sqlite3_column_text(sel, 3);
		size_t len = (size_t)sqlite3_column_bytes(sel, 3);
		struct body_fields f = { 0 };
		if (!body || !body_split(body, len, &f)) {
			body_fields_free(&f);
			log_error(STORE_WHO, "stream %s seq %lld: stored body unreadable", ss->name, (long long)seq);
			rc = SQLITE_CORRUPT;
			break;
		}
		data = strndup(f.data, f.data_len);
		if (!data) {
			body_fields_free(&f);
			rc = SQLITE_NOMEM;
			break;
		}
		sqlite3_bind_int64(ins, 1, sqlite3_column_int64(sel, 1));
		sqlite3_bind_text(ins, 2, f.device, -1, SQLITE_STATIC);
		store_bind_text(ins, 3, f.station);
		sqlite3_bind_text(ins, 4, f.kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, ss->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 6, seq);
		sqlite3_bind_text(ins, 7, reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 8, data, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 9, body, (int)len, SQLITE_STATIC);
		rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		body_fields_free(&f);
		free(data);
		data = NULL;
		if (rc != SQLITE_DONE)
			break;
		moved++;
	}
	sqlite3_reset(sel);
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_stmt *mark = st->stmt[STMT_RANGE_MARK];
	sqlite3_bind_text(mark, 1, ss->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(mark, 2, from_seq);
	sqlite3_bind_int64(mark, 3, to_seq);
	rc = sqlite3_step(mark);
	sqlite3_reset(mark);
	if (rc != SQLITE_DONE)
		goto fail;
	/* acked_seq means "everything up to here is acked or quarantined": it
	 * moves only when the range touches the front, and then up to the next
	 * event that is still to be published. */
	if (from_seq <= ss->acked_seq + 1 && to_seq > ss->acked_seq) {
		sqlite3_stmt *next = st->stmt[STMT_NEXT_PUBLISHABLE];
		sqlite3_bind_text(next, 1, ss->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(next, 2, ss->acked_seq);
		rc = sqlite3_step(next);
		int64_t next_seq = rc == SQLITE_ROW && sqlite3_column_type(next, 0) != SQLITE_NULL
					   ? sqlite3_column_int64(next, 0)
					   : ss->last_seq + 1;
		sqlite3_reset(next);
		if (rc != SQLITE_ROW)
			goto fail;
		if (next_seq - 1 > ss->acked_seq) {
			ss->acked_seq = next_seq - 1;
			ss->dirty = true;
		}
	}
	store_count(st, ss->name, reason, moved);
	if (store_txn_commit(st) != STORE_OK)
		return -1;
	log_warn(STORE_WHO, "tenant %s: %d events (seq %lld-%lld) moved to quarantine: %s", ss->name, moved,
		 (long long)from_seq, (long long)to_seq, reason);
	return moved;
fail:
	store_txn_fail(st, rc, "quarantine range");
	return -1;
}

int store_quarantine_list(struct store *st, void (*cb)(void *arg, const struct store_quarantine_row *row), void *arg)
{
	if (st->in_txn)
		return -1;
	sqlite3_stmt *s = st->stmt[STMT_QUARANTINE_LIST];
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_quarantine_row row = {
			.id = sqlite3_column_int64(s, 0),
			.ts_ms = sqlite3_column_int64(s, 1),
			.device = (const char *)sqlite3_column_text(s, 2),
			.stream = (const char *)sqlite3_column_text(s, 3),
			.orig_seq = sqlite3_column_int64(s, 4),
			.reason = (const char *)sqlite3_column_text(s, 5),
			.body = (const char *)sqlite3_column_text(s, 6),
		};
		cb(arg, &row);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error(STORE_WHO, "%s: listing quarantine: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

/* Looks up quarantine row id inside the open transaction; on success the
 * statement stays positioned on the row (caller resets it). */
static int quarantine_get(struct store *st, int64_t id)
{
	sqlite3_stmt *s = st->stmt[STMT_QUARANTINE_GET];
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return SQLITE_ROW;
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_NOTFOUND : rc;
}

static int quarantine_delete(struct store *st, int64_t id)
{
	sqlite3_stmt *s = st->stmt[STMT_QUARANTINE_DELETE];
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_quarantine_assign(struct store *st, int64_t id, const char *tenant, int64_t *new_seq)
{
	if (!store_stream_name_valid(tenant)) {
		errno = EINVAL;
		return -1;
	}
	struct stream_state *ss = store_stream_find(st, tenant, true);
	if (!ss) {
		errno = ENOMEM;
		return -1;
	}
	if (store_txn_begin(st) != STORE_OK)
		return -1;
	int rc = quarantine_get(st, id);
	if (rc == SQLITE_NOTFOUND) {
		store_txn_fail(st, SQLITE_OK, "quarantine assign");
		errno = ENOENT;
		return -1;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	sqlite3_stmt *q = st->stmt[STMT_QUARANTINE_GET];
	int64_t seq = 0;
	rc = store_append_event(st, ss, sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
				(const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3),
				(const char *)sqlite3_column_text(q, 5), id, &seq);
	sqlite3_reset(q);
	if (rc != SQLITE_OK || (rc = quarantine_delete(st, id)) != SQLITE_OK)
		goto fail;
	if (store_txn_commit(st) != STORE_OK)
		return -1;
	if (new_seq)
		*new_seq = seq;
	log_info(STORE_WHO, "tenant %s: quarantined event %lld assigned as seq %lld", ss->name, (long long)id,
		 (long long)seq);
	return 0;
fail:
	store_txn_fail(st, rc, "quarantine assign");
	return -1;
}

int store_quarantine_drop(struct store *st, int64_t id)
{
	if (store_txn_begin(st) != STORE_OK)
		return -1;
	int rc = quarantine_get(st, id);
	if (rc == SQLITE_NOTFOUND) {
		store_txn_fail(st, SQLITE_OK, "quarantine drop");
		errno = ENOENT;
		return -1;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	sqlite3_stmt *q = st->stmt[STMT_QUARANTINE_GET];
	const char *stream = (const char *)sqlite3_column_text(q, 4);
	store_count(st, stream ? stream : "", "quarantine_dropped", 1);
	sqlite3_reset(q);
	if ((rc = quarantine_delete(st, id)) != SQLITE_OK)
		goto fail;
	if (store_txn_commit(st) != STORE_OK)
		return -1;
	log_info(STORE_WHO, "quarantined event %lld dropped", (long long)id);
	return 0;
fail:
	store_txn_fail(st, rc, "quarantine drop");
	return -1;
}
