/* Opening the store: pragmas, schema migrations (PRAGMA user_version),
 * statements prepared once for the connection's life, and the in-memory
 * stream table loaded from the streams rows. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/log.h"
#include "sync/store_private.h"

/* Migration N takes a database at user_version N-1 to N. A new schema
 * version is one more entry; never edit an entry that has shipped. */
static const char *const migrations[] = {
	/* v1 */
	"CREATE TABLE streams("
	" stream TEXT PRIMARY KEY,"
	" last_seq INTEGER NOT NULL DEFAULT 0,"
	" acked_seq INTEGER NOT NULL DEFAULT 0,"
	" n_scan INTEGER NOT NULL DEFAULT 0,"
	" n_weight INTEGER NOT NULL DEFAULT 0,"
	" n_conveyor INTEGER NOT NULL DEFAULT 0,"
	" n_device INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE TABLE events("
	" stream TEXT NOT NULL REFERENCES streams(stream) DEFERRABLE INITIALLY DEFERRED,"
	" seq INTEGER NOT NULL,"
	" ts_ms INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" quarantined INTEGER NOT NULL DEFAULT 0,"
	" body TEXT NOT NULL,"
	" PRIMARY KEY(stream, seq)"
	") WITHOUT ROWID;"
	/* AUTOINCREMENT: an operator refers to quarantine ids; never reuse one. */
	"CREATE TABLE quarantine("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" ts_ms INTEGER NOT NULL,"
	" device TEXT NOT NULL,"
	" station TEXT,"
	" kind TEXT NOT NULL,"
	" stream TEXT,"
	" orig_seq INTEGER NOT NULL DEFAULT 0,"
	" reason TEXT NOT NULL,"
	" data TEXT NOT NULL,"
	" body TEXT NOT NULL"
	");"
	"CREATE TABLE counters("
	" stream TEXT NOT NULL,"
	" reason TEXT NOT NULL,"
	" n INTEGER NOT NULL,"
	" PRIMARY KEY(stream, reason)"
	") WITHOUT ROWID;"
	"CREATE TABLE audit("
	" id INTEGER PRIMARY KEY,"
	" ts_ms INTEGER NOT NULL,"
	" uid INTEGER NOT NULL,"
	" tenant TEXT,"
	" action TEXT NOT NULL,"
	" detail TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL"
	");"
	/* Belt and braces: the hash chain detects edits, these refuse them. */
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_EVENT_INSERT] = "INSERT INTO events(stream, seq, ts_ms, kind, body) VALUES(?1, ?2, ?3, ?4, ?5)",
	[STMT_STREAM_UPSERT] =
		"INSERT INTO streams(stream, last_seq, acked_seq, n_scan, n_weight, n_conveyor, n_device)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(stream) DO UPDATE SET"
		" last_seq = excluded.last_seq, acked_seq = excluded.acked_seq,"
		" n_scan = excluded.n_scan, n_weight = excluded.n_weight,"
		" n_conveyor = excluded.n_conveyor, n_device = excluded.n_device",
	[STMT_COUNTER_ADD] = "INSERT INTO counters(stream, reason, n) VALUES(?1, ?2, ?3)"
			     " ON CONFLICT(stream, reason) DO UPDATE SET n = n + excluded.n",
	[STMT_QUARANTINE_INSERT] =
		"INSERT INTO quarantine(ts_ms, device, station, kind, stream, orig_seq, reason, data, body)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_READ_EVENTS] = "SELECT seq, body FROM events WHERE stream = ?1 AND seq >= ?2 AND seq <= ?3"
			     " AND quarantined = 0 ORDER BY seq",
	[STMT_FIRST_SEQ] = "SELECT min(seq) FROM events WHERE stream = ?1",
	[STMT_OLDEST_UNACKED] = "SELECT ts_ms FROM events WHERE stream = ?1 AND seq > ?2 AND quarantined = 0"
				" ORDER BY seq LIMIT 1",
	[STMT_RANGE_SELECT] = "SELECT seq, ts_ms, kind, body FROM events WHERE stream = ?1"
			      " AND seq >= ?2 AND seq <= ?3 AND quarantined = 0 ORDER BY seq",
	[STMT_RANGE_MARK] = "UPDATE events SET quarantined = 1 WHERE stream = ?1 AND seq >= ?2 AND seq <= ?3",
	[STMT_NEXT_PUBLISHABLE] = "SELECT min(seq) FROM events WHERE stream = ?1 AND seq > ?2 AND quarantined = 0",
	[STMT_QUARANTINE_GET] = "SELECT ts_ms, device, station, kind, stream, data FROM quarantine WHERE id = ?1",
	[STMT_QUARANTINE_DELETE] = "DELETE FROM quarantine WHERE id = ?1",
	[STMT_QUARANTINE_LIST] = "SELECT id, ts_ms, device, stream, orig_seq, reason, body FROM quarantine ORDER BY id",
	[STMT_COUNTERS_LIST] = "SELECT stream, reason, n FROM counters ORDER BY stream, reason",
	[STMT_AUDIT_LAST] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
	[STMT_AUDIT_INSERT] = "INSERT INTO audit(id, ts_ms, uid, tenant, action, detail, prev_hash, hash)"
			      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STMT_AUDIT_WALK] = "SELECT id, ts_ms, uid, tenant, action, detail, prev_hash, hash FROM audit ORDER BY id",
	[STMT_AUDIT_LIST] = "SELECT id, ts_ms, uid, tenant, action, detail, hash FROM"
			    " (SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id",
	[STMT_PRUNE_SCAN] = "SELECT seq, ts_ms FROM events WHERE stream = ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
	[STMT_PRUNE_DELETE] = "DELETE FROM events WHERE stream = ?1 AND seq <= ?2",
};

static int exec_sql(struct store *st, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", st->path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
	}
	return rc;
}

static int pragma_int(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

static int set_pragmas(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0), "wal") != 0) {
		snprintf(err, errlen, "%s: cannot enable WAL journal: %s", st->path, sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	/* FULL: the WAL is fsynced at every commit, so a commit that returned
	 * survives power loss. journal_size_limit returns WAL space after a
	 * checkpoint. */
	return exec_sql(st, "PRAGMA synchronous=FULL;"
			    "PRAGMA journal_size_limit=67108864;"
			    "PRAGMA foreign_keys=ON;"
			    "PRAGMA temp_store=MEMORY;",
			err, errlen);
}

static int migrate(struct store *st, char *err, size_t errlen)
{
	int64_t version = 0;
	int rc = pragma_int(st, "PRAGMA user_version", &version);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot read schema version: %s", st->path, sqlite3_errmsg(st->db));
		return rc;
	}
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %lld is newer than this dockside knows (%d)",
			 st->path, (long long)version, SCHEMA_VERSION);
		return SQLITE_ERROR;
	}
	for (int v = (int)version + 1; v <= SCHEMA_VERSION; v++) {
		char setv[64];
		snprintf(setv, sizeof setv, "PRAGMA user_version=%d", v);
		if ((rc = exec_sql(st, "BEGIN IMMEDIATE", err, errlen)) != SQLITE_OK)
			return rc;
		if ((rc = exec_sql(st, migrations[v - 1], err, errlen)) != SQLITE_OK ||
		    (rc = exec_sql(st, setv, err, errlen)) != SQLITE_OK ||
		    (rc = exec_sql(st, "COMMIT", err, errlen)) != SQLITE_OK) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		log_info(STORE_WHO, "%s: schema migrated to version %d", st->path, v);
	}
	return SQLITE_OK;
}

static int prepare_statements(struct store *st, char *err, size_t errlen)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "%s: preparing statement %d: %s", st->path, i,
				 sqlite3_errmsg(st->db));
			return rc;
		}
	}
	return SQLITE_OK;
}

/* Loads every streams row. last_seq is also checked against the events
 * themselves: both are written in one transaction, but never hand out a
 * seq that is already stored. */
static int load_streams(struct store *st, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT stream, last_seq, acked_seq, n_scan, n_weight, n_conveyor, n_device,"
				    " (SELECT max(seq) FROM events e WHERE e.stream = s.stream)"
				    " FROM streams s",
				    -1, &s, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		if (!name || !store_stream_name_valid(name)) {
			log_warn(STORE_WHO, "%s: ignoring stream row with an invalid name", st->path);
			rc = SQLITE_OK;
			continue;
		}
		struct stream_state *ss = store_stream_find(st, name, true);
		if (!ss) {
			rc = SQLITE_NOMEM;
			break;
		}
		ss->last_seq = sqlite3_column_int64(s, 1);
		ss->acked_seq = sqlite3_column_int64(s, 2);
		for (int k = 0; k < KIND_COUNT; k++)
			ss->kind_count[k] = sqlite3_column_int64(s, 3 + k);
		int64_t max_seq = sqlite3_column_int64(s, 7);
		if (max_seq > ss->last_seq) {
			log_warn(STORE_WHO, "stream %s: last_seq %lld behind stored seq %lld; using the latter",
				 name, (long long)ss->last_seq, (long long)max_seq);
			ss->last_seq = max_seq;
			ss->dirty = true;
		}
		if (ss->acked_seq > ss->last_seq)
			ss->acked_seq = ss->last_seq;
		ss->in_db = true;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		snprintf(err, errlen, "%s: loading streams: %s", st->path, sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_open(struct store **out, const struct store_config *cfg, char *err, size_t errlen)
{
	struct store *st = NULL;
	int fd;
	*out = NULL;
	if (!cfg || !cfg->data_dir || !*cfg->data_dir || !cfg->gateway_id) {
		snprintf(err, errlen, "store: data_dir and gateway_id are required");
		return STORE_ERR;
	}
	st = calloc(1, sizeof *st);
	if (!st)
		goto nomem;
	strbuf_init(&st->body);
	strbuf_init(&st->scratch);
	if (!str_copy(st->gateway_id, sizeof st->gateway_id, cfg->gateway_id)) {
		snprintf(err, errlen, "store: gateway_id too long");
		goto fail;
	}
	st->retention_ms = cfg->retention_ms;
	st->retention_events = cfg->retention_events;
	size_t plen = strlen(cfg->data_dir) + sizeof "/" STORE_FILE_NAME + 4;
	st->path = malloc(plen);
	st->wal_path = malloc(plen);
	if (!st->path || !st->wal_path)
		goto nomem;
	snprintf(st->path, plen, "%s/%s", cfg->data_dir, STORE_FILE_NAME);
	snprintf(st->wal_path, plen, "%s/%s-wal", cfg->data_dir, STORE_FILE_NAME);

	/* Tenant data: create the file 0600 ourselves (SQLite would use 0644
	 * minus umask); the -wal and -shm files inherit its mode. */
	fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", st->path, strerror(errno));
		goto fail;
	}
	close(fd);

	int rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
				 cfg->vfs_name);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", st->path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 2000);
	if (set_pragmas(st, err, errlen) != SQLITE_OK || migrate(st, err, errlen) != SQLITE_OK ||
	    prepare_statements(st, err, errlen) != SQLITE_OK || load_streams(st, err, errlen) != SQLITE_OK)
		goto fail;
	*out = st;
	return STORE_OK;
nomem:
	snprintf(err, errlen, "store: out of memory");
fail:
	store_close(st);
	return STORE_ERR;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->db) {
		if (store_has_pending(st) && store_flush(st) != STORE_OK)
			log_warn(STORE_WHO, "%s: pending acks and counters not written at close", st->path);
		for (int i = 0; i < STMT_COUNT; i++)
			sqlite3_finalize(st->stmt[i]);
		int rc = sqlite3_close(st->db);
		if (rc != SQLITE_OK)
			log_error(STORE_WHO, "%s: close: %s", st->path, sqlite3_errstr(rc));
	}
	strbuf_free(&st->body);
	strbuf_free(&st->scratch);
	free(st->streams);
	free(st->counters);
	free(st->snap_streams);
	free(st->snap_counters);
	free(st->path);
	free(st->wal_path);
	free(st);
}

const char *store_path(const struct store *st) { return st->path; }
