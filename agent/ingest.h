/* Ingest: where readings enter the daemon. Resolves each reading's scope
 * (tenant, site or quarantine), queues it, and commits the queue to the
 * store in groups: one transaction per commit window (commit_interval_ms)
 * or per commit_max_events, whichever comes first. Nothing is reported as
 * taken before its transaction committed. */
#ifndef DOCKSIDE_INGEST_H
#define DOCKSIDE_INGEST_H

#include <stdbool.h>
#include <stdint.h>

struct device;
struct barcode_scan;
struct config;
struct loop;
struct store;
struct ingest;

/* Called after every successful commit, once per stream that got events
 * (stream is a tenant id or STORE_SITE_STREAM). */
typedef void (*ingest_committed_cb)(void *arg, const char *stream);

struct ingest_stats {
	uint64_t submitted;
	uint64_t committed;
	uint64_t quarantined;
	uint64_t refused_quota;
	uint64_t dropped_store_full;  /* queue overflowed while the store was full */
	uint64_t commits;             /* transactions */
	uint64_t commit_failures;
	int64_t queued;
	bool store_full;              /* last commit failed with disk full */
	double commit_rate;           /* events/s committed, last ~10 s */
	double commits_per_second;    /* transactions/s, last ~10 s */
};

struct ingest *ingest_new(struct loop *loop, struct store *store, const struct config *cfg,
			  ingest_committed_cb cb, void *cb_arg);
/* Commits what is queued (best effort) and frees. */
void ingest_free(struct ingest *in);

/* Queues one reading of dev. data: JSON object text, ownership passes to
 * ingest. scan: the decoded scan for kind "scan" (used by tenant = by-gs1),
 * NULL otherwise. */
void ingest_submit(struct ingest *in, struct device *dev, const char *kind, char *data,
		   const struct barcode_scan *scan);

/* Queues an event of the daemon itself (alarms) on a stream. */
void ingest_submit_system(struct ingest *in, const char *stream, const char *kind, char *data);

/* Asks for a group commit soon even if no event is queued: used after
 * acknowledgements so that they are written within one commit window. */
void ingest_kick(struct ingest *in);

/* Commits the queue now. Returns 0 or a store error. */
int ingest_flush(struct ingest *in);

/* Takes the once-a-second samples behind the rates in ingest_stats. */
void ingest_sample_rates(struct ingest *in);

void ingest_get_stats(const struct ingest *in, struct ingest_stats *out);

#endif
