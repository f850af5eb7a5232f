#include "agent/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/device.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "agent/rate.h"
#include "agent/tenant_resolve.h"
#include "agent/util.h"
#include "sync/store.h"

/* While the store is full, at most this many events wait in memory;
 * beyond it new events are refused and counted. */
#define INGEST_QUEUE_LIMIT 100000
#define INGEST_RETRY_MIN_MS 100
#define INGEST_RETRY_MAX_MS 5000
/* A tenant at its quota raises at most one alarm per this interval. */
#define QUOTA_ALARM_INTERVAL_MS 60000

struct pending_event {
	char stream[DS_NAME_MAX + 1]; /* "" = quarantine */
	int64_t ts_ms;
	const char *device;           /* config lifetime */
	const char *station;          /* config lifetime, may be "" */
	const char *kind;             /* static string */
	char *data;                   /* owned */
	char reason[200];             /* quarantine reason */
};

struct quota_alarm {
	char stream[DS_NAME_MAX + 1];
	int64_t last_ms;
	bool due;                     /* refused in the last commit: raise once it is done */
};

struct ingest {
	struct loop *loop;
	struct store *store;
	const struct config *cfg;
	ingest_committed_cb committed_cb;
	void *committed_arg;

	struct pending_event *queue;
	size_t n, cap;
	struct store_event *batch; /* scratch for store_commit */
	size_t batch_cap;

	struct loop_timer *commit_timer;
	int64_t retry_ms;
	struct quota_alarm *alarms;
	size_t n_alarms;
	struct ingest_stats stats;
	struct rate_window committed_rw, commits_rw;
};

static const char *kind_intern(const char *kind)
{
	static const char *const kinds[] = {"scan", "weight", "conveyor", "device"};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kind, kinds[i]) == 0)
			return kinds[i];
	return "device";
}

struct ingest *ingest_new(struct loop *loop, struct store *store, const struct config *cfg,
			  ingest_committed_cb cb, void *cb_arg)
{
	struct ingest *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->loop = loop;
	in->store = store;
	in->cfg = cfg;
	in->committed_cb = cb;
	in->committed_arg = cb_arg;
	in->retry_ms = INGEST_RETRY_MIN_MS;
	return in;
}

static void ingest_commit_timer(struct loop *loop, void *arg);

static void ingest_schedule(struct ingest *in, int64_t ms)
{
	if (!in->commit_timer)
		in->commit_timer = loop_timer_add(in->loop, ms, ingest_commit_timer, in);
}

static void ingest_quota_refused(struct ingest *in, const char *stream);
static void ingest_quota_alarms(struct ingest *in);

static int ingest_commit_queue(struct ingest *in)
{
	if (in->n == 0)
		return store_has_pending(in->store) ? store_flush(in->store) : STORE_OK;
	if (in->batch_cap < in->n) {
		struct store_event *b = realloc(in->batch, in->n * sizeof *b);
		if (!b)
			return STORE_ERR;
		in->batch = b;
		in->batch_cap = in->n;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct pending_event *pe = &in->queue[i];
		struct store_event *se = &in->batch[i];
		memset(se, 0, sizeof *se);
		se->stream = pe->stream[0] ? pe->stream : NULL;
		se->ts_ms = pe->ts_ms;
		se->device = pe->device;
		se->station = pe->station;
		se->kind = pe->kind;
		se->data = pe->data;
		se->quarantine_reason = pe->stream[0] ? NULL : pe->reason;
	}
	int rc = store_commit(in->store, in->batch, in->n);
	in->stats.commits++;
	if (rc != STORE_OK) {
		in->stats.commit_failures++;
		if (!in->stats.store_full || rc != STORE_ERR_FULL)
			log_error("store", "commit of %zu events failed (%s); keeping them queued", in->n,
				  rc == STORE_ERR_FULL ? "disk full" : "store error");
		in->stats.store_full = (rc == STORE_ERR_FULL);
		return rc;
	}
	if (in->stats.store_full)
		log_info("store", "commits succeed again");
	in->stats.store_full = false;

	/* Notify each stream once, and account for each outcome. */
	const char *last_notified = NULL;
	for (size_t i = 0; i < in->n; i++) {
		struct store_event *se = &in->batch[i];
		switch (se->outcome) {
		case STORE_EVENT_COMMITTED:
			in->stats.committed++;
			if (in->committed_cb && (!last_notified || strcmp(last_notified, se->stream) != 0)) {
				in->committed_cb(in->committed_arg, se->stream);
				last_notified = se->stream;
			}
			break;
		case STORE_EVENT_QUARANTINED:
			in->stats.quarantined++;
			log_warn(se->device ? se->device : "ingest", "event quarantined as #%lld: %s",
				 (long long)se->quarantine_id, se->quarantine_reason);
			break;
		case STORE_EVENT_REFUSED_QUOTA:
			in->stats.refused_quota++;
			ingest_quota_refused(in, se->stream);
			break;
		}
	}
	for (size_t i = 0; i < in->n; i++)
		free(in->queue[i].data);
	in->n = 0;
	/* Only now: an alarm is a new event, and the queue is free again. */
	ingest_quota_alarms(in);
	return STORE_OK;
}

static void ingest_commit_timer(struct loop *loop, void *arg)
{
	(void)loop;
	struct ingest *in = arg;
	in->commit_timer = NULL;
	int rc = ingest_commit_queue(in);
	if (rc == STORE_OK) {
		in->retry_ms = INGEST_RETRY_MIN_MS;
		if (in->n) /* alarms queued during the commit */
			ingest_schedule(in, in->cfg->agent.commit_interval_ms);
		return;
	}
	ingest_schedule(in, in->retry_ms);
	in->retry_ms *= 2;
	if (in->retry_ms > INGEST_RETRY_MAX_MS)
		in->retry_ms = INGEST_RETRY_MAX_MS;
}

void ingest_kick(struct ingest *in)
{
	if (!in->stats.store_full)
		ingest_schedule(in, in->cfg->agent.commit_interval_ms);
}

int ingest_flush(struct ingest *in)
{
	loop_timer_cancel(in->commit_timer);
	in->commit_timer = NULL;
	int rc = ingest_commit_queue(in);
	if (rc == STORE_OK && in->n) /* quota alarms */
		rc = ingest_commit_queue(in);
	return rc;
}

void ingest_free(struct ingest *in)
{
	if (!in)
		return;
	if (in->n && ingest_flush(in) != STORE_OK)
		log_error("store", "%zu events could not be committed at shutdown", in->n);
	for (size_t i = 0; i < in->n; i++)
		free(in->queue[i].data);
	loop_timer_cancel(in->commit_timer);
	free(in->queue);
	free(in->batch);
	free(in->alarms);
	free(in);
}

/* Takes ownership of data. */
static void ingest_enqueue(struct ingest *in, const char *stream, const char *reason, const char *device,
			   const char *station, const char *kind, char *data)
{
	in->stats.submitted++;
	if (in->n >= INGEST_QUEUE_LIMIT) {
		/* Only reachable while commits fail (disk full): refuse, count. */
		in->stats.dropped_store_full++;
		store_count(in->store, stream ? stream : "", "store_full", 1);
		free(data);
		return;
	}
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 256;
		struct pending_event *q = realloc(in->queue, cap * sizeof *q);
		if (!q) {
			in->stats.dropped_store_full++;
			store_count(in->store, stream ? stream : "", "out_of_memory", 1);
			log_error("ingest", "out of memory: event of %s refused", device ? device : "daemon");
			free(data);
			return;
		}
		in->queue = q;
		in->cap = cap;
	}
	struct pending_event *pe = &in->queue[in->n++];
	memset(pe, 0, sizeof *pe);
	if (stream)
		str_copy(pe->stream, sizeof pe->stream, stream);
	else
		str_copy(pe->reason, sizeof pe->reason, reason ? reason : "unresolved");
	pe->ts_ms = wall_now_ms();
	pe->device = device;
	pe->station = station;
	pe->kind = kind_intern(kind);
	pe->data = data;

	if ((int64_t)in->n >= in->cfg->agent.commit_max_events && !in->stats.store_full) {
		loop_timer_cancel(in->commit_timer);
		in->commit_timer = NULL;
		ingest_schedule(in, 0);
	} else {
		ingest_schedule(in, in->cfg->agent.commit_interval_ms);
	}
}

void ingest_submit(struct ingest *in, struct device *dev, const char *kind, char *data,
		   const struct barcode_scan *scan)
{
	const struct device_conf *dc = dev->conf;
	const char *stream = NULL;
	char reason[200] = "";

	switch (dc->binding) {
	case BIND_TENANT:
		stream = dc->tenant;
		break;
	case BIND_SITE:
		stream = STORE_SITE_STREAM;
		break;
	case BIND_BY_GS1:
		if (strcmp(kind, "scan") != 0) {
			/* Connect/disconnect of a shared scanner is site health. */
			stream = STORE_SITE_STREAM;
			break;
		}
		stream = tenant_resolve_gs1(in->cfg, scan, reason, sizeof reason);
		break;
	}
	ingest_enqueue(in, stream, reason, dc->name, dc->station, kind, data);
}

void ingest_submit_system(struct ingest *in, const char *stream, const char *kind, char *data)
{
	ingest_enqueue(in, stream, NULL, "dockside", "", kind, data);
}

/* Marks stream's alarm as due (the stream name is copied: the queue it
 * points into is reused before the alarm is raised). */
static void ingest_quota_refused(struct ingest *in, const char *stream)
{
	for (size_t i = 0; i < in->n_alarms; i++)
		if (strcmp(in->alarms[i].stream, stream) == 0) {
			in->alarms[i].due = true;
			return;
		}
	struct quota_alarm *a = realloc(in->alarms, (in->n_alarms + 1) * sizeof *a);
	if (!a)
		return;
	in->alarms = a;
	a = &in->alarms[in->n_alarms++];
	str_copy(a->stream, sizeof a->stream, stream);
	a->last_ms = 0;
	a->due = true;
}

/* Raises the due alarms, each tenant at most once per interval. */
static void ingest_quota_alarms(struct ingest *in)
{
	int64_t now = loop_now_ms();
	for (size_t i = 0; i < in->n_alarms; i++) {
		struct quota_alarm *qa = &in->alarms[i];
		if (!qa->due)
			continue;
		qa->due = false;
		if (qa->last_ms && now - qa->last_ms < QUOTA_ALARM_INTERVAL_MS)
			continue;
		qa->last_ms = now;
		log_warn("ingest", "tenant %s is at its backlog quota: new events are refused and counted",
			 qa->stream);
		/* The alarm goes to the site stream: the tenant's own stream is
		 * full, and the site may see per-tenant health, never tenant
		 * content. */
		struct strbuf sb;
		strbuf_init(&sb);
		strbuf_puts(&sb, "{\"event\":\"alarm\",\"alarm\":\"backlog_quota\",\"tenant\":");
		json_append_cstring(&sb, qa->stream);
		strbuf_puts(&sb, "}");
		if (!sb.failed)
			ingest_submit_system(in, STORE_SITE_STREAM, "device", strbuf_steal(&sb));
		strbuf_free(&sb);
	}
}

void ingest_sample_rates(struct ingest *in)
{
	int64_t now = loop_now_ms();
	rate_sample(&in->committed_rw, now, in->stats.committed);
	rate_sample(&in->commits_rw, now, in->stats.commits);
	in->stats.commit_rate = rate_per_second(&in->committed_rw);
	in->stats.commits_per_second = rate_per_second(&in->commits_rw);
}

void ingest_get_stats(const struct ingest *in, struct ingest_stats *out)
{
	*out = in->stats;
	out->queued = (int64_t)in->n;
}
