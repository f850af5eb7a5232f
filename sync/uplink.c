/* The uplink: sessions for every tenant and the site, created from the
 * config, driven from the loop's prepare hook. */
#include "sync/uplink_private.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/ingest.h"
#include "agent/log.h"
#include "agent/loop.h"
#include "agent/rate.h"
#include "agent/util.h"
#include "sync/command.h"
#include "sync/credentials.h"
#include "sync/store.h"

const char *session_state_name(enum session_state st)
{
	switch (st) {
	case SESSION_DISCONNECTED: return "disconnected";
	case SESSION_CONNECTING: return "connecting";
	case SESSION_CONNECTED: return "connected";
	}
	return "unknown";
}

const char *session_name(const struct session *s) { return s->name; }
enum session_state session_state(const struct session *s) { return s->state; }
const struct session_stats *session_get_stats(const struct session *s) { return &s->stats; }
int session_inflight(const struct session *s) { return s->if_count; }
int session_window(const struct session *s) { return s->window; }
size_t uplink_session_count(const struct uplink *up) { return up->n_sessions; }
struct session *uplink_session_at(struct uplink *up, size_t i) { return i < up->n_sessions ? up->sessions[i] : NULL; }

struct session *uplink_find_session(struct uplink *up, const char *stream)
{
	for (size_t i = 0; i < up->n_sessions; i++)
		if (strcmp(up->sessions[i]->name, stream) == 0)
			return up->sessions[i];
	return NULL;
}

/* ---- the loop's prepare hook: drain, state, health, watches ------------- */

static void uplink_prepare(struct loop *loop, void *arg)
{
	(void)loop;
	struct uplink *up = arg;
	int64_t now = loop_now_ms();

	/* Round-robin: each session gets a turn per pass, passes repeat while
	 * anyone sent something (bounded so the loop stays responsive). */
	for (int pass = 0; pass < 32; pass++) {
		bool any = false;
		for (size_t k = 0; k < up->n_sessions; k++) {
			struct session *s = up->sessions[(up->rr_next + k) % up->n_sessions];
			if (!s->drain_wanted)
				continue;
			if (session_drain_turn(s))
				any = true;
			else
				s->drain_wanted = false;
		}
		up->rr_next = (up->rr_next + 1) % up->n_sessions;
		if (!any)
			break;
	}
	for (size_t k = 0; k < up->n_sessions; k++) {
		struct session *s = up->sessions[k];
		if (s->state == SESSION_CONNECTED && s->mosq) {
			if (s->state_dirty && now - s->last_state_ms >= STATE_INTERVAL_MS)
				session_publish_state(s);
			else if (s->state_dirty)
				session_wake_in(s, STATE_INTERVAL_MS - (now - s->last_state_ms));
			if (s->site && now - s->last_health_ms >= HEALTH_INTERVAL_MS)
				session_publish_health(s, true);
		}
		if (s->drop_wanted) {
			session_check_drop(s, MOSQ_ERR_SUCCESS, "");
			continue;
		}
		if (s->watch && s->mosq) {
			short ev = POLLIN;
			if (mosquitto_want_write(s->mosq) || s->state == SESSION_CONNECTING)
				ev |= POLLOUT;
			loop_watch_set_events(s->watch, ev);
		}
	}
}

/* ---- construction ------------------------------------------------------- */

static struct session *session_new(struct uplink *up, const char *name, bool site, const char *cred_path,
				   const char *expect_tenant, int64_t max_rate)
{
	const struct config *cfg = up->cfg;
	struct diag diag = {.out = stderr};
	struct session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->up = up;
	s->site = site;
	s->max_rate = max_rate;
	s->tokens = (double)max_rate;
	s->tokens_ms = loop_now_ms();
	str_copy(s->name, sizeof s->name, name);
	snprintf(s->who, sizeof s->who, site ? "site %s" : "tenant %s", site ? cfg->agent.site : name);
	if (credential_load(&s->cred, cred_path, expect_tenant, cfg->path, 0, &diag) < 0) {
		free(s);
		return NULL;
	}
	const char *prefix = cfg->broker.topic_prefix;
	const char *gw = cfg->agent.gateway_id;
	if (site) {
		snprintf(s->topic_events, sizeof s->topic_events, "%s/_site/%s/%s/events", prefix, cfg->agent.site, gw);
		snprintf(s->topic_health, sizeof s->topic_health, "%s/_site/%s/%s/health", prefix, cfg->agent.site, gw);
	} else {
		snprintf(s->topic_events, sizeof s->topic_events, "%s/%s/%s/events", prefix, name, gw);
		snprintf(s->topic_state, sizeof s->topic_state, "%s/%s/%s/state", prefix, name, gw);
		snprintf(s->topic_cmd, sizeof s->topic_cmd, "%s/%s/%s/cmd", prefix, name, gw);
	}
	s->backoff_ms = cfg->broker.reconnect_min_ms;
	s->pause_ms = TRANSIENT_PAUSE_MIN_MS;
	s->window = 1;
	s->next_seq = session_acked_seq(s) + 1;
	return s;
}

static void session_free(struct session *s)
{
	if (!s)
		return;
	if (s->mosq)
		mosquitto_destroy(s->mosq);
	loop_watch_remove(s->watch);
	loop_timer_cancel(s->misc_timer);
	loop_timer_cancel(s->reconnect_timer);
	loop_timer_cancel(s->wake_timer);
	credential_wipe(&s->cred);
	free(s->inflight);
	free(s);
}

struct uplink *uplink_new(struct loop *loop, struct store *store, struct ingest *ingest,
			  const struct config *cfg)
{
	struct uplink *up = calloc(1, sizeof *up);
	if (!up)
		return NULL;
	up->loop = loop;
	up->store = store;
	up->ingest = ingest;
	up->cfg = cfg;
	strbuf_init(&up->payload);
	mosquitto_lib_init();
	up->sessions = calloc(cfg->n_tenants + 1, sizeof *up->sessions);
	if (!up->sessions)
		goto fail;
	up->sessions[0] = session_new(up, STORE_SITE_STREAM, true, cfg->site.credentials, NULL, 0);
	if (!up->sessions[0])
		goto fail;
	up->n_sessions = 1;
	for (size_t i = 0; i < cfg->n_tenants; i++) {
		const struct tenant_conf *tc = &cfg->tenants[i];
		store_set_max_backlog(store, tc->name, tc->max_backlog);
		up->sessions[i + 1] = session_new(up, tc->name, false, tc->credentials, tc->name, tc->max_rate);
		if (!up->sessions[i + 1])
			goto fail;
		up->n_sessions++;
	}
	loop_set_prepare(loop, uplink_prepare, up);
	return up;
fail:
	log_error("uplink", "cannot set up broker sessions");
	uplink_free(up, 0);
	return NULL;
}

void uplink_set_health_cb(struct uplink *up, uplink_health_cb cb, void *arg)
{
	up->health_cb = cb;
	up->health_arg = arg;
}

void uplink_start(struct uplink *up)
{
	for (size_t i = 0; i < up->n_sessions; i++)
		session_connect(up->sessions[i]);
}

void uplink_notify(struct uplink *up, const char *stream)
{
	struct session *s = uplink_find_session(up, stream);
	if (s)
		s->drain_wanted = true;
}

void uplink_sample_rates(struct uplink *up)
{
	int64_t now = loop_now_ms();
	for (size_t i = 0; i < up->n_sessions; i++) {
		struct session *s = up->sessions[i];
		rate_sample(&s->published_rw, now, s->stats.events_published);
		rate_sample(&s->acked_rw, now, s->stats.events_acked);
		s->stats.publish_rate = rate_per_second(&s->published_rw);
		s->stats.ack_rate = rate_per_second(&s->acked_rw);
	}
}

void uplink_state_changed(struct uplink *up)
{
	for (size_t i = 0; i < up->n_sessions; i++)
		up->sessions[i]->state_dirty = true;
}

void uplink_free(struct uplink *up, int64_t grace_ms)
{
	if (!up)
		return;
	/* Give acknowledgements of what is in flight a moment to arrive:
	 * fewer duplicates after a restart. */
	int64_t until = loop_now_ms() + grace_ms;
	up->stopping = true;
	while (grace_ms > 0 && loop_now_ms() < until) {
		bool pending = false;
		for (size_t i = 0; i < up->n_sessions; i++)
			pending |= up->sessions[i]->state == SESSION_CONNECTED && up->sessions[i]->if_count > 0;
		if (!pending)
			break;
		loop_run_once(up->loop, 50);
	}
	loop_set_prepare(up->loop, NULL, NULL);
	if (up->n_sessions && up->sessions[0]->state == SESSION_CONNECTED) {
		struct session *site = up->sessions[0];
		session_publish_health(site, false);
		mosquitto_loop_write(site->mosq, 1);
	}
	for (size_t i = 0; i < up->n_sessions; i++) {
		struct session *s = up->sessions[i];
		if (s->mosq && s->state == SESSION_CONNECTED) {
			mosquitto_disconnect_v5(s->mosq, 0, NULL);
			mosquitto_loop_write(s->mosq, 1);
		}
		session_free(s);
	}
	free(up->sessions);
	strbuf_free(&up->payload);
	free(up);
	mosquitto_lib_cleanup();
}
