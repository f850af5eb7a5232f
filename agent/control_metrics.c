/* `metrics` over the control socket: the Prometheus text exposition format
 * (version 0.0.4), every family with HELP and TYPE, prefix dockside_.
 * The list of families is in docs/metrics.md; keep the two together. */
#include <stdlib.h>
#include <string.h>

#include "agent/control_private.h"
#include "agent/daemon.h"
#include "agent/device.h"
#include "agent/ingest.h"
#include "agent/util.h"
#include "sync/store.h"
#include "sync/uplink.h"

#define PFX "dockside_"

static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_printf(sb, "# HELP " PFX "%s %s\n# TYPE " PFX "%s %s\n", name, help, name, type);
}

/* Label values escape backslash, double quote and newline. */
static void label_value(struct strbuf *sb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			strbuf_puts(sb, "\\\\");
		else if (*v == '"')
			strbuf_puts(sb, "\\\"");
		else if (*v == '\n')
			strbuf_puts(sb, "\\n");
		else
			strbuf_append(sb, v, 1);
	}
}

/* name{k1="v1",k2="v2"} value; k1/k2 may be NULL. */
static void sample(struct strbuf *sb, const char *name, const char *k1, const char *v1, const char *k2,
		   const char *v2, double value)
{
	strbuf_printf(sb, PFX "%s", name);
	if (k1) {
		strbuf_printf(sb, "{%s=\"", k1);
		label_value(sb, v1);
		strbuf_puts(sb, "\"");
		if (k2) {
			strbuf_printf(sb, ",%s=\"", k2);
			label_value(sb, v2);
			strbuf_puts(sb, "\"");
		}
		strbuf_puts(sb, "}");
	}
	if (value == (double)(int64_t)value)
		strbuf_printf(sb, " %lld\n", (long long)value);
	else
		strbuf_printf(sb, " %.3f\n", value);
}

struct session_view {
	struct session *s;
	const struct session_stats *st;
	struct store_stream_info info;
};

enum session_field {
	SF_CONNECTED,
	SF_BACKLOG,
	SF_OLDEST_AGE,
	SF_LAST_SEQ,
	SF_ACKED_SEQ,
	SF_INFLIGHT,
	SF_MESSAGES,
	SF_PUBLISHED,
	SF_ACKED,
	SF_QUARANTINED,
	SF_ISOLATION,
	SF_ALARM,
	SF_COMMANDS,
	SF_COMMANDS_REFUSED,
	SF_REPLAYED,
	SF_CONNECTS,
};

static const struct {
	enum session_field field;
	const char *name, *type, *help;
} session_families[] = {
	{SF_CONNECTED, "session_connected", "gauge", "1 if the MQTT session of the tenant (or _site) is connected."},
	{SF_BACKLOG, "backlog_events", "gauge", "Events committed and not yet acknowledged by the broker."},
	{SF_OLDEST_AGE, "oldest_unacked_event_age_seconds", "gauge",
	 "Age of the oldest event not yet acknowledged; 0 when the backlog is empty."},
	{SF_LAST_SEQ, "events_committed_total", "counter",
	 "Events committed to the store (the stream's last seq; durable across restarts)."},
	{SF_ACKED_SEQ, "acked_seq", "gauge", "Every seq up to this one is acknowledged or quarantined."},
	{SF_INFLIGHT, "inflight_messages", "gauge", "MQTT messages published and not yet acknowledged."},
	{SF_MESSAGES, "publish_messages_total", "counter", "MQTT messages (batches) published since start."},
	{SF_PUBLISHED, "events_published_total", "counter", "Events published since start (replays included)."},
	{SF_ACKED, "events_acked_total", "counter", "Events acknowledged by the broker since start."},
	{SF_QUARANTINED, "events_quarantined_total", "counter",
	 "Events moved to quarantine after a permanent broker refusal since start."},
	{SF_ISOLATION, "isolation_refusals_total", "counter",
	 "Batches the agent refused to publish because stream, credentials and topic disagreed."},
	{SF_ALARM, "tenant_alarm", "gauge", "1 if the broker refused a batch of this tenant permanently."},
	{SF_COMMANDS, "commands_received_total", "counter", "Requests received on the tenant's cmd topic."},
	{SF_COMMANDS_REFUSED, "commands_refused_total", "counter",
	 "Requests on the cmd topic refused (malformed, oversized, out of range)."},
	{SF_REPLAYED, "replayed_events_total", "counter", "Events published again by replay requests."},
	{SF_CONNECTS, "session_connects_total", "counter", "Successful MQTT connections since start."},
};

static double session_value(const struct session_view *v, enum session_field f, int64_t now_ms)
{
	switch (f) {
	case SF_CONNECTED:
		return session_state(v->s) == SESSION_CONNECTED;
	case SF_BACKLOG:
		return (double)v->info.backlog;
	case SF_OLDEST_AGE:
		if (v->info.backlog <= 0 || v->info.oldest_unacked_ts_ms <= 0 || now_ms <= v->info.oldest_unacked_ts_ms)
			return 0;
		return (double)(now_ms - v->info.oldest_unacked_ts_ms) / 1000.0;
	case SF_LAST_SEQ:
		return (double)v->info.last_seq;
	case SF_ACKED_SEQ:
		return (double)v->info.acked_seq;
	case SF_INFLIGHT:
		return session_inflight(v->s);
	case SF_MESSAGES:
		return (double)v->st->messages_published;
	case SF_PUBLISHED:
		return (double)v->st->events_published;
	case SF_ACKED:
		return (double)v->st->events_acked;
	case SF_QUARANTINED:
		return (double)v->st->events_quarantined;
	case SF_ISOLATION:
		return (double)v->st->isolation_refusals;
	case SF_ALARM:
		return v->st->alarm;
	case SF_COMMANDS:
		return (double)v->st->commands_received;
	case SF_COMMANDS_REFUSED:
		return (double)v->st->commands_refused;
	case SF_REPLAYED:
		return (double)v->st->replayed_events;
	case SF_CONNECTS:
		return (double)v->st->connects;
	}
	return 0;
}

static void emit_sessions(struct strbuf *sb, struct daemon *d, int64_t now_ms)
{
	size_t n = uplink_session_count(d->uplink);
	struct session_view *views = calloc(n ? n : 1, sizeof *views);
	if (!views) {
		sb->failed = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		views[i].s = uplink_session_at(d->uplink, i);
		views[i].st = session_get_stats(views[i].s);
		store_stream_info(d->store, session_name(views[i].s), &views[i].info);
	}
	for (size_t f = 0; f < sizeof session_families / sizeof session_families[0]; f++) {
		family(sb, session_families[f].name, session_families[f].type, session_families[f].help);
		for (size_t i = 0; i < n; i++)
			sample(sb, session_families[f].name, "tenant", session_name(views[i].s), NULL, NULL,
			       session_value(&views[i], session_families[f].field, now_ms));
	}
	family(sb, "publish_refusals_total", "counter",
	       "Batches refused by the broker (PUBACK >= 0x80) since start, by class: transient (retried) "
	       "or permanent (quarantined).");
	for (size_t i = 0; i < n; i++) {
		sample(sb, "publish_refusals_total", "tenant", session_name(views[i].s), "reason", "transient",
		       (double)views[i].st->refusals_transient);
		sample(sb, "publish_refusals_total", "tenant", session_name(views[i].s), "reason", "permanent",
		       (double)views[i].st->refusals_permanent);
	}
	free(views);
}

static void emit_counter_row(void *arg, const char *stream, const char *reason, int64_t n)
{
	sample(arg, "accounted_events_total", "tenant", stream, "reason", reason, (double)n);
}

static void count_quarantine(void *arg, const struct store_quarantine_row *row)
{
	(void)row;
	(*(int64_t *)arg)++;
}

static void emit_devices(struct strbuf *sb, struct daemon *d)
{
	family(sb, "device_connected", "gauge", "1 if the device is open and reading.");
	for (size_t i = 0; i < d->n_devices; i++)
		sample(sb, "device_connected", "device", d->devices[i].name, NULL, NULL,
		       d->devices[i].state == DEVICE_CONNECTED);
	family(sb, "device_last_reading_timestamp_seconds", "gauge",
	       "Unix time of the device's last reading; 0 if none since start.");
	for (size_t i = 0; i < d->n_devices; i++)
		sample(sb, "device_last_reading_timestamp_seconds", "device", d->devices[i].name, NULL, NULL,
		       (double)d->devices[i].last_reading_ms / 1000.0);
	for (int c = 0; c < DEVCNT_COUNT; c++) {
		char name[96];
		char help[160];
		snprintf(name, sizeof name, "device_%s_total", device_counter_names[c]);
		snprintf(help, sizeof help, "Device counter '%s' since start.", device_counter_names[c]);
		family(sb, name, "counter", help);
		for (size_t i = 0; i < d->n_devices; i++)
			sample(sb, name, "device", d->devices[i].name, NULL, NULL, (double)d->devices[i].counters[c]);
	}
}

static void emit_ingest(struct strbuf *sb, struct daemon *d)
{
	struct ingest_stats is;
	ingest_get_stats(d->ingest, &is);
	static const char *const help_committed = "Readings committed to a stream by ingest since start.";
	family(sb, "ingest_committed_total", "counter", help_committed);
	sample(sb, "ingest_committed_total", NULL, NULL, NULL, NULL, (double)is.committed);
	family(sb, "ingest_quarantined_total", "counter", "Readings sent to quarantine by ingest since start.");
	sample(sb, "ingest_quarantined_total", NULL, NULL, NULL, NULL, (double)is.quarantined);
	family(sb, "ingest_refused_quota_total", "counter",
	       "Readings refused because their tenant's backlog quota was full, since start.");
	sample(sb, "ingest_refused_quota_total", NULL, NULL, NULL, NULL, (double)is.refused_quota);
	family(sb, "ingest_dropped_store_full_total", "counter",
	       "Readings dropped because the queue overflowed while the store was full, since start.");
	sample(sb, "ingest_dropped_store_full_total", NULL, NULL, NULL, NULL, (double)is.dropped_store_full);
	family(sb, "ingest_commits_total", "counter", "Group-commit transactions since start.");
	sample(sb, "ingest_commits_total", NULL, NULL, NULL, NULL, (double)is.commits);
	family(sb, "ingest_commit_failures_total", "counter", "Group commits that failed since start.");
	sample(sb, "ingest_commit_failures_total", NULL, NULL, NULL, NULL, (double)is.commit_failures);
	family(sb, "ingest_queued_events", "gauge", "Readings waiting for the next group commit.");
	sample(sb, "ingest_queued_events", NULL, NULL, NULL, NULL, (double)is.queued);
	family(sb, "store_full", "gauge", "1 if the last commit failed because the disk is full.");
	sample(sb, "store_full", NULL, NULL, NULL, NULL, is.store_full);
}

int control_handle_metrics(struct control_request *r)
{
	struct daemon *d = r->d;
	struct strbuf sb;
	int64_t now = wall_now_ms();
	strbuf_init(&sb);

	family(&sb, "uptime_seconds", "gauge", "Seconds since the daemon started.");
	sample(&sb, "uptime_seconds", NULL, NULL, NULL, NULL, (double)(now - d->started_ms) / 1000.0);
	emit_sessions(&sb, d, now);

	family(&sb, "accounted_events_total", "counter",
	       "Durable counters by stream and reason: events not delivered and other accountable happenings "
	       "(kept across restarts; tenant=\"\" when no stream applies).");
	store_list_counters(d->store, emit_counter_row, &sb);

	int64_t quarantined = 0;
	store_quarantine_list(d->store, count_quarantine, &quarantined);
	family(&sb, "quarantine_events", "gauge", "Events waiting in quarantine for an operator.");
	sample(&sb, "quarantine_events", NULL, NULL, NULL, NULL, (double)quarantined);
	family(&sb, "store_size_bytes", "gauge", "Size of the store database and its WAL.");
	sample(&sb, "store_size_bytes", NULL, NULL, NULL, NULL, (double)store_size_bytes(d->store));

	emit_ingest(&sb, d);
	emit_devices(&sb, d);

	const struct control_stats *cs = control_get_stats(r->ctl);
	family(&sb, "control_requests_total", "counter", "Control socket requests answered since start.");
	sample(&sb, "control_requests_total", NULL, NULL, NULL, NULL, (double)cs->requests);
	family(&sb, "control_refusals_total", "counter",
	       "Control socket clients refused: not root, not the daemon's user, not in admin_group.");
	sample(&sb, "control_refusals_total", NULL, NULL, NULL, NULL, (double)cs->refused);

	if (sb.failed) {
		strbuf_free(&sb);
		return control_fail(r, "error", "out of memory");
	}
	cJSON_AddStringToObject(r->resp, "text", sb.buf ? sb.buf : "");
	strbuf_free(&sb);
	return 0;
}
