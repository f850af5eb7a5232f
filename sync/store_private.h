/* Internals shared by the store_*.c files. Not for use outside sync/. */
#ifndef DOCKSIDE_STORE_PRIVATE_H
#define DOCKSIDE_STORE_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/util.h"
#include "sync/store.h"

#define STORE_WHO "store"
#define STORE_REASON_MAX 64

enum store_kind { KIND_SCAN, KIND_WEIGHT, KIND_CONVEYOR, KIND_DEVICE, KIND_COUNT };

/* In-memory mirror of one streams row plus what is not yet written. */
struct stream_state {
	char name[DS_NAME_MAX + 1];
	int64_t last_seq;
	int64_t acked_seq;        /* may be ahead of the row until the next commit */
	int64_t max_backlog;      /* <= 0: unlimited; never stored */
	int64_t kind_count[KIND_COUNT];
	bool dirty;               /* the streams row must be rewritten */
	bool in_db;               /* the streams row exists */
};

/* A counter increment not yet written. */
struct pending_counter {
	char stream[DS_NAME_MAX + 1];
	char reason[STORE_REASON_MAX];
	int64_t n;
	bool seen;                /* scratch for store_list_counters */
};

/* The "YYYY-MM-DDTHH:MM:SS" part of the last timestamp formatted: events
 * of one batch mostly share their second. */
struct ts_cache {
	int64_t sec;
	char prefix[32];
	bool valid;
};

/* Every statement the store runs, prepared once at open. */
enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_EVENT_INSERT,
	STMT_STREAM_UPSERT,
	STMT_COUNTER_ADD,
	STMT_QUARANTINE_INSERT,
	STMT_READ_EVENTS,
	STMT_FIRST_SEQ,
	STMT_OLDEST_UNACKED,
	STMT_RANGE_SELECT,
	STMT_RANGE_MARK,
	STMT_NEXT_PUBLISHABLE,
	STMT_QUARANTINE_GET,
	STMT_QUARANTINE_DELETE,
	STMT_QUARANTINE_LIST,
	STMT_COUNTERS_LIST,
	STMT_AUDIT_LAST,
	STMT_AUDIT_INSERT,
	STMT_AUDIT_WALK,
	STMT_AUDIT_LIST,
	STMT_PRUNE_SCAN,
	STMT_PRUNE_DELETE,
	STMT_COUNT
};

struct store {
	sqlite3 *db;
	char *path;
	char *wal_path;
	char gateway_id[DS_NAME_MAX + 1];
	int64_t retention_ms;
	int64_t retention_events;
	sqlite3_stmt *stmt[STMT_COUNT];

	struct stream_state *streams;   /* unsorted: indices are stable */
	size_t n_streams, cap_streams;
	struct pending_counter *counters;
	size_t n_counters, cap_counters;

	/* State before the open transaction, restored when it fails. */
	struct stream_state *snap_streams;
	size_t snap_n_streams, snap_cap_streams;
	struct pending_counter *snap_counters;
	size_t snap_n_counters, snap_cap_counters;

	struct strbuf body;             /* reused for every composed body */
	struct strbuf scratch;
	struct ts_cache ts_cache;
	bool in_txn;
	bool reading;                   /* STMT_READ_EVENTS is stepping */
	bool full;                      /* last write failed with disk full */
};

/* Transactions: begin snapshots the in-memory state; commit writes pending
 * acks, stream rows and counters, then COMMITs; fail rolls back both the
 * database and memory and maps rc to a store_status. */
int store_txn_begin(struct store *st);
int store_txn_commit(struct store *st);
int store_txn_fail(struct store *st, int rc, const char *what);
int store_map_error(struct store *st, int rc);

/* Finds a stream by name, creating an in-memory entry when create is set.
 * Returns NULL when absent (or on allocation failure). */
struct stream_state *store_stream_find(struct store *st, const char *name, bool create);
bool store_stream_name_valid(const char *name);
int store_kind_index(const char *kind);

/* Composes an event body into sb. stream NULL: no id/seq (quarantine);
 * quarantine_id > 0 adds "quarantine_id". */
void store_compose_body(struct strbuf *sb, struct ts_cache *tc, const char *gateway_id, const char *stream,
			int64_t seq, int64_t ts_ms, const char *device, const char *station,
			const char *kind, const char *data, int64_t quarantine_id);

/* Appends one event to a stream inside an open transaction: assigns the
 * next seq, composes the body, inserts the row, counts its kind. */
int store_append_event(struct store *st, struct stream_state *ss, int64_t ts_ms,
		       const char *device, const char *station, const char *kind,
		       const char *data, int64_t quarantine_id, int64_t *seq_out);

/* Binds text or NULL. */
int store_bind_text(sqlite3_stmt *s, int idx, const char *text);

#endif
