/* `status` over the control socket: devices, tenants and the site session,
 * the store and ingest, as one JSON document (fields in docs/cli.md).
 * Credentials are never part of it: sessions are named by tenant only. */
#include <string.h>

#include "agent/control_private.h"
#include "agent/daemon.h"
#include "agent/device.h"
#include "agent/ingest.h"
#include "agent/util.h"
#include "drivers/driver.h"
#include "drivers/profile.h"
#include "sync/store.h"
#include "sync/uplink.h"

static const char *binding_text(const struct device_conf *dc)
{
	switch (dc->binding) {
	case BIND_TENANT:
		return dc->tenant;
	case BIND_BY_GS1:
		return "by-gs1";
	case BIND_SITE:
		return "site";
	}
	return "?";
}

static cJSON *device_json(const struct device *dev)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", dev->name);
	cJSON_AddStringToObject(o, "profile", dev->profile ? dev->profile->name : dev->conf->profile);
	cJSON_AddStringToObject(o, "driver", dev->ops ? dev->ops->name : "");
	cJSON_AddStringToObject(o, "transport", dev->ops && dev->ops->transport ? dev->ops->transport : "");
	cJSON_AddStringToObject(o, "binding", binding_text(dev->conf));
	cJSON_AddStringToObject(o, "station", dev->conf->station);
	cJSON_AddStringToObject(o, "state", device_state_name(dev->state));
	control_add_time(o, "connected_since", dev->state == DEVICE_CONNECTED ? dev->connected_since_ms : 0);
	control_add_time(o, "last_reading", dev->last_reading_ms);
	if (dev->last_error[0])
		cJSON_AddStringToObject(o, "last_error", dev->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	cJSON *counters = cJSON_AddObjectToObject(o, "counters");
	for (int i = 0; counters && i < DEVCNT_COUNT; i++)
		cJSON_AddNumberToObject(counters, device_counter_names[i], (double)dev->counters[i]);
	return o;
}

/* One session (tenant or site) with its stream's outbox figures. */
static cJSON *session_json(struct daemon *d, struct session *s, int64_t now_ms)
{
	const struct session_stats *ss = session_get_stats(s);
	struct store_stream_info info;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	store_stream_info(d->store, session_name(s), &info);
	cJSON_AddStringToObject(o, "name", session_name(s));
	cJSON_AddStringToObject(o, "state", session_state_name(session_state(s)));
	cJSON_AddNumberToObject(o, "backlog", (double)info.backlog);
	cJSON_AddNumberToObject(o, "oldest_unacked_age_s",
				info.backlog > 0 && info.oldest_unacked_ts_ms > 0 && now_ms > info.oldest_unacked_ts_ms
					? (double)(now_ms - info.oldest_unacked_ts_ms) / 1000.0
					: 0.0);
	cJSON_AddNumberToObject(o, "last_seq", (double)info.last_seq);
	cJSON_AddNumberToObject(o, "acked_seq", (double)info.acked_seq);
	cJSON_AddNumberToObject(o, "first_retained_seq", (double)info.first_retained_seq);
	control_add_time(o, "last_ack", ss->last_ack_ms);
	cJSON_AddNumberToObject(o, "inflight", session_inflight(s));
	cJSON_AddNumberToObject(o, "window", session_window(s));
	cJSON_AddNumberToObject(o, "connects", (double)ss->connects);
	cJSON_AddNumberToObject(o, "disconnects", (double)ss->disconnects);
	cJSON_AddNumberToObject(o, "messages_published", (double)ss->messages_published);
	cJSON_AddNumberToObject(o, "events_published", (double)ss->events_published);
	cJSON_AddNumberToObject(o, "events_acked", (double)ss->events_acked);
	control_add_time(o, "connected_since", ss->connected_since_ms);
	cJSON_AddNumberToObject(o, "publish_rate", ss->publish_rate);
	cJSON_AddNumberToObject(o, "ack_rate", ss->ack_rate);
	cJSON_AddNumberToObject(o, "refusals_transient", (double)ss->refusals_transient);
	cJSON_AddNumberToObject(o, "refusals_permanent", (double)ss->refusals_permanent);
	cJSON_AddNumberToObject(o, "quarantined", (double)ss->events_quarantined);
	cJSON_AddNumberToObject(o, "isolation_refusals", (double)ss->isolation_refusals);
	cJSON_AddNumberToObject(o, "commands_received", (double)ss->commands_received);
	cJSON_AddNumberToObject(o, "commands_refused", (double)ss->commands_refused);
	cJSON_AddNumberToObject(o, "replayed_events", (double)ss->replayed_events);
	cJSON_AddBoolToObject(o, "alarm", ss->alarm);
	cJSON_AddNumberToObject(o, "last_refusal_reason", ss->last_refusal_reason);
	if (ss->last_error[0])
		cJSON_AddStringToObject(o, "last_error", ss->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	cJSON *counts = cJSON_AddObjectToObject(o, "events_by_kind");
	if (counts) {
		cJSON_AddNumberToObject(counts, "scan", (double)info.count_scan);
		cJSON_AddNumberToObject(counts, "weight", (double)info.count_weight);
		cJSON_AddNumberToObject(counts, "conveyor", (double)info.count_conveyor);
		cJSON_AddNumberToObject(counts, "device", (double)info.count_device);
	}
	return o;
}

static void count_quarantine(void *arg, const struct store_quarantine_row *row)
{
	(void)row;
	(*(int64_t *)arg)++;
}

int control_handle_status(struct control_request *r)
{
	struct daemon *d = r->d;
	int64_t now = wall_now_ms();
	cJSON *o = r->resp;

	cJSON_AddStringToObject(o, "version", DOCKSIDE_VERSION);
	cJSON_AddStringToObject(o, "gateway_id", d->cfg->agent.gateway_id);
	cJSON_AddStringToObject(o, "site", d->cfg->agent.site);
	control_add_time(o, "started", d->started_ms);
	cJSON_AddNumberToObject(o, "uptime_s", (double)(now - d->started_ms) / 1000.0);

	cJSON *devices = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = 0; devices && i < d->n_devices; i++)
		cJSON_AddItemToArray(devices, device_json(&d->devices[i]));

	/* Tenants in configuration order, the site session apart. */
	cJSON *tenants = cJSON_AddArrayToObject(o, "tenants");
	for (size_t i = 0; tenants && i < d->cfg->n_tenants; i++) {
		struct session *s = uplink_find_session(d->uplink, d->cfg->tenants[i].name);
		if (s)
			cJSON_AddItemToArray(tenants, session_json(d, s, now));
	}
	struct session *site = uplink_find_session(d->uplink, STORE_SITE_STREAM);
	if (site)
		cJSON_AddItemToObject(o, "site_session", session_json(d, site, now));
	else
		cJSON_AddNullToObject(o, "site_session");

	cJSON *store = cJSON_AddObjectToObject(o, "store");
	if (store) {
		cJSON_AddStringToObject(store, "path", store_path(d->store));
		cJSON_AddNumberToObject(store, "size_bytes", (double)store_size_bytes(d->store));
		int64_t quarantined = 0;
		store_quarantine_list(d->store, count_quarantine, &quarantined);
		cJSON_AddNumberToObject(store, "quarantine_count", (double)quarantined);
	}

	struct ingest_stats is;
	ingest_get_stats(d->ingest, &is);
	cJSON *ingest = cJSON_AddObjectToObject(o, "ingest");
	if (ingest) {
		cJSON_AddNumberToObject(ingest, "submitted", (double)is.submitted);
		cJSON_AddNumberToObject(ingest, "committed", (double)is.committed);
		cJSON_AddNumberToObject(ingest, "quarantined", (double)is.quarantined);
		cJSON_AddNumberToObject(ingest, "refused_quota", (double)is.refused_quota);
		cJSON_AddNumberToObject(ingest, "dropped_store_full", (double)is.dropped_store_full);
		cJSON_AddNumberToObject(ingest, "commits", (double)is.commits);
		cJSON_AddNumberToObject(ingest, "commit_failures", (double)is.commit_failures);
		cJSON_AddNumberToObject(ingest, "queued", (double)is.queued);
		cJSON_AddBoolToObject(ingest, "store_full", is.store_full);
		cJSON_AddNumberToObject(ingest, "commit_rate", is.commit_rate);
		cJSON_AddNumberToObject(ingest, "commits_per_second", is.commits_per_second);
	}

	const struct control_stats *cs = control_get_stats(r->ctl);
	cJSON *control = cJSON_AddObjectToObject(o, "control");
	if (control) {
		cJSON_AddNumberToObject(control, "requests", (double)cs->requests);
		cJSON_AddNumberToObject(control, "errors", (double)cs->errors);
		cJSON_AddNumberToObject(control, "refused", (double)cs->refused);
		cJSON_AddNumberToObject(control, "rejected_busy", (double)cs->rejected_busy);
		cJSON_AddNumberToObject(control, "timeouts", (double)cs->timeouts);
		cJSON_AddNumberToObject(control, "oversized", (double)cs->oversized);
	}
	return 0;
}
