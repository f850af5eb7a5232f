/* Publishing a session's outbox: the in-flight window, batches, the
 * isolation check before every publish, acknowledgements, refusals,
 * the per-tenant rate limit. */
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

/* ---- in-flight FIFO ---------------------------------------------------- */

struct inflight *inflight_at(struct session *s, int i)
{
	return &s->inflight[(s->if_head + i) % s->if_cap];
}

struct inflight *inflight_push(struct session *s)
{
	if (s->if_count == s->if_cap) {
		int cap = s->if_cap ? s->if_cap * 2 : 32;
		struct inflight *n = calloc((size_t)cap, sizeof *n);
		if (!n)
			return NULL;
		for (int i = 0; i < s->if_count; i++)
			n[i] = *inflight_at(s, i);
		free(s->inflight);
		s->inflight = n;
		s->if_head = 0;
		s->if_cap = cap;
	}
	struct inflight *e = &s->inflight[(s->if_head + s->if_count) % s->if_cap];
	memset(e, 0, sizeof *e);
	s->if_count++;
	return e;
}

void inflight_pop(struct session *s)
{
	s->if_head = (s->if_head + 1) % s->if_cap;
	s->if_count--;
}

int64_t session_acked_seq(struct session *s)
{
	return store_acked_seq(s->up->store, s->name);
}

/* Forget everything in flight and resume from the first unacknowledged
 * event: used after a disconnect or a transient refusal. Events that were
 * in flight may be sent again: duplicates with the same id and content. */
void session_rewind(struct session *s)
{
	s->if_count = 0;
	s->if_head = 0;
	s->next_seq = session_acked_seq(s) + 1;
	s->state_mid = 0;
	s->health_mid = 0;
	if (s->replaying)
		log_info(s->who, "replay interrupted; it resumes at seq %lld", (long long)s->replay_next);
}

/* ---- publishing --------------------------------------------------------- */

struct batch_build {
	struct strbuf *sb;
	int64_t first_seq, last_seq;
	size_t n;
	const char *id_prefix;   /* "GATEWAY/STREAM/" every body's id must start with */
	size_t id_prefix_len;
	bool foreign;            /* a body whose id names another stream */
	int64_t foreign_seq;     /* ... at this seq */
};

static int batch_add_row(void *arg, int64_t seq, const char *body, size_t len)
{
	struct batch_build *b = arg;
	/* Defence in depth: the stored id must name this stream. */
	static const char id_key[] = "{\"id\":\"";
	if (len < sizeof id_key - 1 + b->id_prefix_len || memcmp(body, id_key, sizeof id_key - 1) != 0 ||
	    memcmp(body + sizeof id_key - 1, b->id_prefix, b->id_prefix_len) != 0) {
		b->foreign = true;
		b->foreign_seq = seq;
		return 1;
	}
	if (b->n)
		strbuf_append(b->sb, ",", 1);
	strbuf_append(b->sb, body, len);
	if (!b->n)
		b->first_seq = seq;
	b->last_seq = seq;
	b->n++;
	return 0;
}

/* The tenant segment of an events topic: prefix/TENANT/gateway/events, or
 * "_site" for prefix/_site/site/gateway/events. */
static bool topic_names_stream(const struct uplink *up, const char *topic, const char *stream)
{
	const char *prefix = up->cfg->broker.topic_prefix;
	size_t pl = strlen(prefix);
	if (strncmp(topic, prefix, pl) != 0 || topic[pl] != '/')
		return false;
	const char *seg = topic + pl + 1;
	const char *end = strchr(seg, '/');
	if (!end)
		return false;
	return (size_t)(end - seg) == strlen(stream) && strncmp(seg, stream, (size_t)(end - seg)) == 0;
}

/* The agent-side isolation check: batch stream == session == credential ==
 * topic segment. Returns NULL when all agree, else what disagrees. */
static const char *isolation_check(const struct session *s, const char *stream, const char *topic)
{
	if (strcmp(s->name, stream) != 0)
		return "batch stream differs from the session's tenant";
	if (s->site ? !s->cred.site : (s->cred.site || strcmp(s->cred.tenant, stream) != 0))
		return "batch stream differs from the credential's tenant";
	if (!topic_names_stream(s->up, topic, stream))
		return "topic does not name the batch's tenant";
	return NULL;
}

static void session_alarm(struct session *s, const char *alarm, int64_t first, int64_t last, const char *reason)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_puts(&sb, "{\"event\":\"alarm\",\"alarm\":");
	json_append_cstring(&sb, alarm);
	strbuf_puts(&sb, ",\"tenant\":");
	json_append_cstring(&sb, s->name);
	strbuf_printf(&sb, ",\"first_seq\":%lld,\"last_seq\":%lld,\"reason\":", (long long)first, (long long)last);
	json_append_cstring(&sb, reason);
	strbuf_puts(&sb, "}");
	if (!sb.failed)
		ingest_submit_system(s->up->ingest, STORE_SITE_STREAM, "device", strbuf_steal(&sb));
	strbuf_free(&sb);
}

/* Moves a refused range to quarantine, with alarm and audit. */
void session_quarantine(struct session *s, const char *stream, int64_t first, int64_t last,
			       const char *reason)
{
	int n = store_quarantine_range(s->up->store, stream, first, last, reason);
	if (n < 0) {
		log_error(s->who, "cannot quarantine seq %lld..%lld (%s); will retry", (long long)first,
			  (long long)last, reason);
		return;
	}
	s->stats.events_quarantined += (uint64_t)n;
	s->stats.alarm = true;
	log_error(s->who, "ALARM: %d events (seq %lld..%lld) quarantined: %s", n, (long long)first,
		  (long long)last, reason);
	char detail[320];
	snprintf(detail, sizeof detail, "stream=%s first_seq=%lld last_seq=%lld reason=%s", stream,
		 (long long)first, (long long)last, reason);
	store_audit_append(s->up->store, wall_now_ms(), -1, stream, "quarantine-refused", detail);
	session_alarm(s, "quarantined", first, last, reason);
}

/* Runs isolation_check for publishing `stream` on s; a refusal is
 * counted, logged and audited. Returns NULL when the publish may go
 * ahead, else what disagrees. */
static const char *session_isolation_gate(struct session *s, const char *stream, int64_t from_seq)
{
	struct uplink *up = s->up;
	const char *why = isolation_check(s, stream, s->topic_events);
	if (!why)
		return NULL;
	s->stats.isolation_refusals++;
	store_count(up->store, stream, "isolation_refused", 1);
	log_error(s->who, "REFUSED to publish stream %s on session %s: %s", stream, s->name, why);
	char detail[256];
	snprintf(detail, sizeof detail, "session=%s stream=%s from_seq=%lld reason=%s", s->name, stream,
		 (long long)from_seq, why);
	store_audit_append(up->store, wall_now_ms(), -1, stream, "isolation-refused", detail);
	return why;
}

/* Builds and publishes one batch of `stream` events from from_seq (at most
 * to_seq, max_events events). Returns events published, 0 if there were
 * none, -1 if refused by the isolation check or the client library. */
static int session_publish_batch(struct session *s, const char *stream, int64_t from_seq, int64_t to_seq,
				 size_t max_events, bool replay)
{
	struct uplink *up = s->up;
	const struct config *cfg = up->cfg;
	const char *topic = s->topic_events;
	char id_prefix[160];
	int rc;

	/* The check runs before anything is read or sent. */
	const char *why = session_isolation_gate(s, stream, from_seq);
	if (why) {
		if (strcmp(stream, s->name) == 0 && !replay) {
			/* The session's own stream, yet its credential or topic
			 * disagrees: nothing can go out safely; hold the next
			 * batch for an operator instead of retrying forever.
			 * (A foreign stream stays in its own outbox, where its
			 * own session delivers it.) */
			int64_t last = from_seq + (int64_t)max_events - 1;
			char reason[200];
			snprintf(reason, sizeof reason, "isolation check: %s", why);
			session_quarantine(s, stream, from_seq, last, reason);
			s->next_seq = last + 1;
		}
		return -1;
	}

	snprintf(id_prefix, sizeof id_prefix, "%s/%s/", cfg->agent.gateway_id, stream);
	struct strbuf *sb = &up->payload;
	strbuf_reset(sb);
	strbuf_puts(sb, "{\"v\":1,\"gateway\":");
	json_append_cstring(sb, cfg->agent.gateway_id);
	if (s->site) {
		strbuf_puts(sb, ",\"site\":");
		json_append_cstring(sb, cfg->agent.site);
	} else {
		strbuf_puts(sb, ",\"tenant\":");
		json_append_cstring(sb, stream);
	}
	strbuf_puts(sb, ",\"events\":[");
	struct batch_build b = {.sb = sb, .id_prefix = id_prefix, .id_prefix_len = strlen(id_prefix)};
	int n = store_read_events(up->store, stream, from_seq, to_seq, max_events, (size_t)cfg->broker.batch_max_bytes,
				  batch_add_row, &b);
	if (n < 0) {
		log_error(s->who, "cannot read its outbox from the store");
		return -1;
	}
	if (b.foreign && b.n == 0) {
		/* Only a damaged store can hold this; the rows before it (if
		 * any) go out now, the row itself is held for an operator. */
		s->stats.isolation_refusals++;
		store_count(up->store, stream, "isolation_refused", 1);
		log_error(s->who, "REFUSED: stored event seq %lld does not name stream %s", (long long)b.foreign_seq,
			  stream);
		if (!replay && strcmp(stream, s->name) == 0) {
			session_quarantine(s, stream, b.foreign_seq, b.foreign_seq,
					   "isolation check: stored event id names another stream");
			s->next_seq = b.foreign_seq + 1;
		}
		return -1;
	}
	if (b.n == 0)
		return 0;
	strbuf_puts(sb, "]}");
	if (sb->failed) {
		log_error(s->who, "out of memory building a batch");
		return -1;
	}

	int mid = 0;
	rc = mosquitto_publish_v5(s->mosq, &mid, topic, (int)sb->len, sb->buf, 1, false, NULL);
	if (rc == MOSQ_ERR_OVERSIZE_PACKET || rc == MOSQ_ERR_PAYLOAD_SIZE) {
		if (b.n == 1 && !replay) {
			session_quarantine(s, stream, b.first_seq, b.last_seq,
					   "event larger than the broker's maximum packet size");
			s->next_seq = b.last_seq + 1;
			return 0;
		}
		/* Halve and retry on the next pass. */
		return (int)-2;
	}
	if (rc != MOSQ_ERR_SUCCESS) {
		s->drop_wanted = true;
		snprintf(s->drop_reason, sizeof s->drop_reason, "publish failed: %s", mosquitto_strerror(rc));
		return -1;
	}
	struct inflight *e = inflight_push(s);
	if (!e) {
		s->drop_wanted = true;
		str_copy(s->drop_reason, sizeof s->drop_reason, "out of memory");
		return -1;
	}
	e->mid = mid;
	e->first_seq = b.first_seq;
	e->last_seq = b.last_seq;
	e->n_events = b.n;
	e->replay = replay;
	s->stats.messages_published++;
	s->stats.events_published += b.n;
	if (replay)
		s->stats.replayed_events += b.n;
	if (replay)
		s->replay_next = b.last_seq + 1;
	else
		s->next_seq = b.last_seq + 1;
	return (int)b.n;
}

int uplink_publish_range(struct uplink *up, struct session *s, const char *stream, int64_t from_seq,
			 int64_t to_seq)
{
	(void)up;
	/* A wrong pairing is refused (counted and audited) whether or not
	 * the session happens to be connected. */
	if (session_isolation_gate(s, stream, from_seq))
		return -1;
	if (s->state != SESSION_CONNECTED || !s->mosq)
		return -1;
	return session_publish_batch(s, stream, from_seq, to_seq, (size_t)s->up->cfg->broker.batch_max_events,
				     true);
}

/* Acknowledgements are applied strictly from the head of the window, so
 * the outbox only ever moves forward over a contiguous acknowledged run. */
void session_process_head(struct session *s)
{
	while (s->if_count) {
		struct inflight *e = inflight_at(s, 0);
		if (e->status == IF_PENDING)
			return;
		if (e->status == IF_ACKED) {
			if (!e->replay) {
				store_ack(s->up->store, s->name, e->last_seq);
				ingest_kick(s->up->ingest);
				s->stats.events_acked += e->n_events;
				s->stats.last_ack_ms = wall_now_ms();
				s->state_dirty = true;
			}
			inflight_pop(s);
			continue;
		}
		s->stats.last_refusal_reason = e->reason;
		if (e->status == IF_REFUSED_PERMANENT) {
			s->stats.refusals_permanent++;
			if (e->replay) {
				log_error(s->who, "broker refused replayed events %lld..%lld: %s (0x%02x)",
					  (long long)e->first_seq, (long long)e->last_seq,
					  mosquitto_reason_string(e->reason), e->reason);
			} else {
				char reason[128];
				snprintf(reason, sizeof reason, "broker refused: %s (0x%02x)",
					 mosquitto_reason_string(e->reason), e->reason);
				session_quarantine(s, s->name, e->first_seq, e->last_seq, reason);
			}
			inflight_pop(s);
			continue;
		}
		/* Transient: pause, then resend from the first unacknowledged
		 * event; everything behind it in the window is sent again. */
		s->stats.refusals_transient++;
		log_warn(s->who, "broker refused batch %lld..%lld for now: %s (0x%02x); retrying in %lld ms",
			 (long long)e->first_seq, (long long)e->last_seq, mosquitto_reason_string(e->reason),
			 e->reason, (long long)s->pause_ms);
		store_count(s->up->store, s->name, "broker_refused_transient", (int64_t)e->n_events);
		if (e->replay)
			s->replay_next = e->first_seq;
		s->paused_until_ms = loop_now_ms() + s->pause_ms;
		s->pause_ms *= 2;
		if (s->pause_ms > TRANSIENT_PAUSE_MAX_MS)
			s->pause_ms = TRANSIENT_PAUSE_MAX_MS;
		int64_t keep_replay = s->replay_next;
		session_rewind(s);
		s->replay_next = keep_replay;
		return;
	}
}

static void session_wake(struct loop *loop, void *arg)
{
	(void)loop;
	struct session *s = arg;
	s->wake_timer = NULL;
	s->drain_wanted = true;
}

void session_wake_in(struct session *s, int64_t ms)
{
	if (!s->wake_timer)
		s->wake_timer = loop_timer_add(s->up->loop, ms, session_wake, s);
}

/* Token bucket for max_rate; returns how many events may go now. */
static size_t session_rate_allowance(struct session *s, size_t want)
{
	if (s->max_rate <= 0)
		return want;
	int64_t now = loop_now_ms();
	s->tokens += (double)(now - s->tokens_ms) * (double)s->max_rate / 1000.0;
	s->tokens_ms = now;
	if (s->tokens > (double)s->max_rate)
		s->tokens = (double)s->max_rate; /* at most one second of burst */
	size_t allowed = s->tokens >= 1.0 ? (size_t)s->tokens : 0;
	if (allowed > want)
		allowed = want;
	if (!allowed)
		session_wake_in(s, (int64_t)(1000.0 / (double)s->max_rate) + 1);
	return allowed;
}

/* Sends up to BATCHES_PER_TURN batches; returns true if it sent any. */
bool session_drain_turn(struct session *s)
{
	bool sent = false;
	if (s->state != SESSION_CONNECTED || !s->mosq || s->drop_wanted || s->up->stopping)
		return false;
	if (s->paused_until_ms) {
		int64_t left = s->paused_until_ms - loop_now_ms();
		if (left > 0) {
			session_wake_in(s, left);
			return false;
		}
		s->paused_until_ms = 0;
	}
	for (int turn = 0; turn < BATCHES_PER_TURN && s->if_count < s->window; turn++) {
		size_t max_events = (size_t)s->up->cfg->broker.batch_max_events;
		max_events = session_rate_allowance(s, max_events);
		if (!max_events)
			break;
		int n = session_publish_batch(s, s->name, s->next_seq, -1, max_events, false);
		if (n == -2) {
			/* Too big for the broker: send smaller batches. */
			n = session_publish_batch(s, s->name, s->next_seq, -1, max_events / 2 ? max_events / 2 : 1, false);
		}
		if (n <= 0) {
			if (s->replaying && s->if_count < s->window) {
				n = session_publish_batch(s, s->name, s->replay_next, s->replay_to, max_events, true);
				if (n <= 0 || s->replay_next > s->replay_to) {
					if (n == 0 || s->replay_next > s->replay_to)
						log_info(s->who, "replay up to seq %lld sent", (long long)s->replay_to);
					s->replaying = false;
				}
			}
			if (n <= 0)
				break;
		}
		if (s->max_rate > 0)
			s->tokens -= n;
		sent = true;
	}
	if (sent && s->pause_ms > TRANSIENT_PAUSE_MIN_MS && s->if_count == 0)
		s->pause_ms = TRANSIENT_PAUSE_MIN_MS;
	return sent;
}
