/* The durable store: one SQLite database in data_dir (WAL,
 * synchronous=FULL), holding per-stream outboxes, quarantine, durable
 * counters and the audit log.
 *
 * A "stream" is one tenant id, or STORE_SITE_STREAM for site-scope events.
 * Each stream has its own gapless seq starting at 1. An event's body is the
 * complete JSON object that goes on the wire; it is composed once at commit
 * time so retries, restarts and replays send identical bytes.
 *
 * The store is used from the daemon's single thread only.
 */
#ifndef DOCKSIDE_STORE_H
#define DOCKSIDE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SITE_STREAM "_site"
#define STORE_FILE_NAME "dockside.db"

struct store;

struct store_config {
	const char *data_dir;
	const char *gateway_id;
	int64_t retention_ms;      /* keep acknowledged events at least... */
	int64_t retention_events;  /* ...but at most this many per stream */
	/* Optional: name of a registered sqlite3_vfs (tests use a VFS that
	 * simulates power loss); NULL = the default VFS. */
	const char *vfs_name;
};

enum store_status {
	STORE_OK = 0,
	STORE_ERR = -1,       /* unexpected SQLite error (logged) */
	STORE_ERR_FULL = -2,  /* SQLITE_FULL / ENOSPC: nothing was committed */
	STORE_ERR_BUSY = -3,
};

/* Opens (creating or migrating) data_dir/dockside.db. On failure returns
 * STORE_ERR and writes a message to err. */
int store_open(struct store **out, const struct store_config *cfg, char *err, size_t errlen);
void store_close(struct store *st);

enum store_outcome {
	STORE_EVENT_COMMITTED = 0,   /* seq assigned */
	STORE_EVENT_QUARANTINED,     /* quarantine_id assigned */
	STORE_EVENT_REFUSED_QUOTA,   /* stream at max_backlog: counted, not stored */
};

/* One event handed to store_commit. Input fields are borrowed. */
struct store_event {
	/* in */
	const char *stream;            /* tenant id or STORE_SITE_STREAM; NULL = quarantine */
	int64_t ts_ms;                 /* wall clock */
	const char *device;
	const char *station;           /* may be NULL or "" */
	const char *kind;              /* scan, weight, conveyor, device */
	const char *data;              /* JSON object text, valid UTF-8 */
	const char *quarantine_reason; /* when stream == NULL */
	/* out */
	enum store_outcome outcome;
	int64_t seq;
	int64_t quarantine_id;
};

/* Commits all n events in ONE transaction together with pending acks and
 * counters (group commit). Each event is appended to its stream with the
 * next seq, or to quarantine, or refused when its stream's backlog has
 * reached its max (counted under reason "quota"). Returns STORE_OK, or
 * STORE_ERR_FULL / STORE_ERR when nothing at all was committed (then the
 * caller decides; the in-memory seq counters are rolled back). */
int store_commit(struct store *st, struct store_event *evs, size_t n);

/* Commits pending acks and counters if there are any. */
int store_flush(struct store *st);
bool store_has_pending(const struct store *st);

/* max_backlog for a stream; <= 0 means unlimited. */
void store_set_max_backlog(struct store *st, const char *stream, int64_t max_backlog);

/* Streams events with from_seq <= seq <= to_seq (to_seq < 0: no bound), in
 * seq order, calling cb for each. Stops after max_events rows, or before a
 * row that would take the total body bytes past max_bytes (the first row is
 * always delivered), or when cb returns non-zero. Only rows not moved to
 * quarantine are returned. Returns the number of rows delivered, or -1.
 * max_events or max_bytes of 0 means no limit. body is valid only during
 * the callback; cb must not call store functions other than store_ack and
 * store_count. */
typedef int (*store_row_cb)(void *arg, int64_t seq, const char *body, size_t len);
int store_read_events(struct store *st, const char *stream, int64_t from_seq, int64_t to_seq,
		      size_t max_events, size_t max_bytes, store_row_cb cb, void *arg);

/* Every event of stream with seq <= upto_seq was acknowledged by the
 * broker. Held in memory (store_stream_info sees it at once) and written
 * with the next commit or flush: losing it in a crash only means a
 * duplicate, never a loss. Acks never move backwards. */
void store_ack(struct store *st, const char *stream, int64_t upto_seq);

/* A permanent refusal (e.g. PUBACK 0x87): copies events [from, to] of the
 * stream into quarantine with `reason`, marks them as quarantined (they are
 * no longer published) and counts them. Committed immediately. Returns the
 * number of events moved or -1. */
int store_quarantine_range(struct store *st, const char *stream, int64_t from_seq, int64_t to_seq,
			   const char *reason);

struct store_stream_info {
	char stream[64];
	int64_t last_seq;          /* highest assigned seq, 0 if none */
	int64_t acked_seq;         /* every seq <= this one is acknowledged or quarantined */
	int64_t first_retained_seq;/* lowest seq still stored, 0 if none */
	int64_t backlog;           /* last_seq - acked_seq */
	int64_t oldest_unacked_ts_ms; /* 0 if backlog is 0 */
	int64_t count_scan, count_weight, count_conveyor, count_device;
};
/* Returns 0, or -1 if the stream is unknown (info zeroed, name set). */
int store_stream_info(struct store *st, const char *stream, struct store_stream_info *info);
/* The stream's acknowledged watermark (acked_seq of store_stream_info),
 * from memory: no query. 0 for an unknown stream. */
int64_t store_acked_seq(struct store *st, const char *stream);

/* Calls cb for every stream that has ever had an event, sorted by name. */
int store_list_streams(struct store *st, void (*cb)(void *arg, const struct store_stream_info *info), void *arg);

/* Durable counters of events not delivered (and other accountable
 * happenings), by stream ("" for none) and reason. Added in memory,
 * written with the next commit/flush. */
void store_count(struct store *st, const char *stream, const char *reason, int64_t n);
int store_list_counters(struct store *st, void (*cb)(void *arg, const char *stream, const char *reason, int64_t n), void *arg);

struct store_quarantine_row {
	int64_t id;
	int64_t ts_ms;
	const char *device;
	const char *stream;        /* original stream if it came from a refused batch, else NULL */
	int64_t orig_seq;          /* its seq there, else 0 */
	const char *reason;
	const char *body;          /* event JSON (kind, device, data, ...) */
};
int store_quarantine_list(struct store *st, void (*cb)(void *arg, const struct store_quarantine_row *row), void *arg);
/* Appends quarantined event `id` to `tenant`'s stream with a new seq; the
 * new body carries "quarantine_id": id. Removes it from quarantine. Returns
 * 0 and *new_seq, or -1 (unknown id: errno = ENOENT). */
int store_quarantine_assign(struct store *st, int64_t id, const char *tenant, int64_t *new_seq);
int store_quarantine_drop(struct store *st, int64_t id);

/* Audit log: append-only, each row's hash = SHA-256(prev_hash || canonical
 * row text). Committed immediately. */
int store_audit_append(struct store *st, int64_t ts_ms, long uid, const char *tenant,
		       const char *action, const char *detail);
/* Returns 0 if the chain is intact, 1 with *bad_id = first broken row,
 * -1 on error. */
int store_audit_verify(struct store *st, int64_t *bad_id);
struct store_audit_row {
	int64_t id, ts_ms;
	long uid;
	const char *tenant, *action, *detail, *hash;
};
int store_audit_list(struct store *st, int64_t limit, void (*cb)(void *arg, const struct store_audit_row *row), void *arg);

/* Deletes acknowledged events past retention, then checkpoints the WAL.
 * Returns the number of rows deleted or -1. */
int64_t store_prune(struct store *st, int64_t now_ms);

/* Database + WAL size in bytes. */
int64_t store_size_bytes(struct store *st);

/* The path of the database file. */
const char *store_path(const struct store *st);

#endif
