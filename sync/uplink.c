#include "sync/uplink.h"

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

#define MISC_INTERVAL_MS 1000
#define STATE_INTERVAL_MS 1000
#define HEALTH_INTERVAL_MS 30000
#define TRANSIENT_PAUSE_MIN_MS 500
#define TRANSIENT_PAUSE_MAX_MS 30000
/* Batches sent per session per drain pass: keeps sessions taking turns. */
#define BATCHES_PER_TURN 2

enum inflight_status { IF_PENDING = 0, IF_ACKED, IF_REFUSED_TRANSIENT, IF_REFUSED_PERMANENT };

struct inflight {
	int mid;
	int64_t first_seq, last_seq;
	size_t n_events;
	bool replay;              /* a replay: acks do not move the outbox */
	enum inflight_status status;
	int reason;
};

struct session {
	struct uplink *up;
	char name[DS_NAME_MAX + 1];        /* tenant id or "_site" */
	bool site;
	struct credential cred;
	char who[DS_NAME_MAX + 16];
	char topic_events[512];
	char topic_state[512];
	char topic_cmd[512];
	char topic_health[512];
	int64_t max_rate;

	struct mosquitto *mosq;
	enum session_state state;
	struct loop_watch *watch;
	struct loop_timer *misc_timer;
	struct loop_timer *reconnect_timer;
	struct loop_timer *wake_timer;     /* rate limit / transient pause */
	int64_t backoff_ms;
	bool drop_wanted;                  /* set in callbacks, acted on outside */
	char drop_reason[128];
	char tls_error[160];               /* last OpenSSL error libmosquitto reported */

	struct inflight *inflight;         /* FIFO ring */
	int if_head, if_count, if_cap;
	int window;
	int state_mid, health_mid;
	int64_t next_seq;                  /* next seq to publish */
	int64_t paused_until_ms;           /* after a transient refusal */
	int64_t pause_ms;
	double tokens;
	int64_t tokens_ms;
	bool drain_wanted;
	int64_t last_state_ms;
	int64_t state_acked_published;     /* acked seq in the last state message */
	bool state_dirty;
	int64_t last_health_ms;

	/* replay cursor */
	bool replaying;
	int64_t replay_next, replay_to;

	struct session_stats stats;
	struct rate_window published_rw, acked_rw;
};

struct uplink {
	struct loop *loop;
	struct store *store;
	struct ingest *ingest;
	const struct config *cfg;
	struct session **sessions;    /* [0] is the site session */
	size_t n_sessions;
	size_t rr_next;               /* round-robin start */
	bool stopping;                /* shutting down: send nothing new */
	uplink_health_cb health_cb;
	void *health_arg;
	struct strbuf payload;        /* scratch */
};

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

/* ---- in-flight FIFO ---------------------------------------------------- */

static struct inflight *inflight_at(struct session *s, int i)
{
	return &s->inflight[(s->if_head + i) % s->if_cap];
}

static struct inflight *inflight_push(struct session *s)
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

static void inflight_pop(struct session *s)
{
	s->if_head = (s->if_head + 1) % s->if_cap;
	s->if_count--;
}

static int64_t session_acked_seq(struct session *s)
{
	struct store_stream_info info;
	store_stream_info(s->up->store, s->name, &info);
	return info.acked_seq;
}

/* Forget everything in flight and resume from the first unacknowledged
 * event: used after a disconnect or a transient refusal. Events that were
 * in flight may be sent again: duplicates with the same id and content. */
static void session_rewind(struct session *s)
{
	s->if_count = 0;
	s->if_head = 0;
	s->next_seq = session_acked_seq(s) + 1;
	s->state_mid = 0;
	s->health_mid = 0;
	if (s->replaying)
		log_info(s->who, "replay interrupted; it resumes at seq %lld", (long long)s->replay_next);
}

/* ---- connection lifecycle ---------------------------------------------- */

static void session_connect(struct session *s);

static void session_reconnect_timer(struct loop *loop, void *arg)
{
	(void)loop;
	struct session *s = arg;
	s->reconnect_timer = NULL;
	session_connect(s);
}

static void session_schedule_reconnect(struct session *s)
{
	const struct broker_conf *bc = &s->up->cfg->broker;
	if (s->reconnect_timer)
		return;
	/* Exponential backoff with full jitter in [backoff/2, backoff]. */
	int64_t delay = s->backoff_ms / 2 + (int64_t)(random() % (s->backoff_ms / 2 + 1));
	s->reconnect_timer = loop_timer_add(s->up->loop, delay, session_reconnect_timer, s);
	s->backoff_ms *= 2;
	if (s->backoff_ms > bc->reconnect_max_ms)
		s->backoff_ms = bc->reconnect_max_ms;
}

/* Tears the connection down (outside libmosquitto callbacks only). */
static void session_drop(struct session *s, const char *reason)
{
	if (s->mosq) {
		if (s->state == SESSION_CONNECTED) {
			s->stats.disconnects++;
			log_warn(s->who, "connection lost: %s", reason);
		} else {
			log_info(s->who, "cannot connect: %s", reason);
		}
		str_copy(s->stats.last_error, sizeof s->stats.last_error, reason);
		mosquitto_destroy(s->mosq);
		s->mosq = NULL;
	}
	loop_watch_remove(s->watch);
	s->watch = NULL;
	loop_timer_cancel(s->misc_timer);
	s->misc_timer = NULL;
	s->state = SESSION_DISCONNECTED;
	s->drop_wanted = false;
	session_rewind(s);
	session_schedule_reconnect(s);
}

static void session_check_drop(struct session *s, int rc, const char *what)
{
	if (s->drop_wanted) {
		char reason[128];
		str_copy(reason, sizeof reason, s->drop_reason);
		session_drop(s, reason);
		return;
	}
	if (rc != MOSQ_ERR_SUCCESS && s->mosq) {
		char reason[160];
		if (rc == MOSQ_ERR_TLS && s->tls_error[0])
			snprintf(reason, sizeof reason, "%.24s: TLS: %.120s", what, s->tls_error);
		else if (rc == MOSQ_ERR_ERRNO)
			snprintf(reason, sizeof reason, "%s: %s", what, strerror(errno));
		else
			snprintf(reason, sizeof reason, "%s: %s", what, mosquitto_strerror(rc));
		session_drop(s, reason);
	}
}

static void session_io(struct loop *loop, int fd, short revents, void *arg)
{
	(void)loop;
	(void)fd;
	struct session *s = arg;
	int rc = MOSQ_ERR_SUCCESS;
	if (!s->mosq)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		rc = mosquitto_loop_read(s->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && s->mosq && (revents & POLLOUT))
		rc = mosquitto_loop_write(s->mosq, 1);
	session_check_drop(s, rc, "socket");
}

static void session_misc(struct loop *loop, void *arg)
{
	struct session *s = arg;
	s->misc_timer = NULL;
	if (!s->mosq)
		return;
	int rc = mosquitto_loop_misc(s->mosq);
	if (rc == MOSQ_ERR_SUCCESS && mosquitto_socket(s->mosq) < 0)
		rc = MOSQ_ERR_CONN_LOST; /* keepalive timeout closed it */
	session_check_drop(s, rc, "keepalive");
	if (s->mosq)
		s->misc_timer = loop_timer_add(loop, MISC_INTERVAL_MS, session_misc, s);
}

static void session_publish_health(struct session *s, bool online);

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags, const mosquitto_property *props)
{
	(void)mosq;
	(void)flags;
	struct session *s = obj;
	if (rc != 0) {
		s->drop_wanted = true;
		snprintf(s->drop_reason, sizeof s->drop_reason, "broker refused connection: %s (0x%02x)",
			 mosquitto_reason_string(rc), rc);
		/* Bad credentials do not fix themselves quickly. */
		s->backoff_ms = s->up->cfg->broker.reconnect_max_ms;
		return;
	}
	uint16_t receive_max = 65535;
	if (props)
		mosquitto_property_read_int16(props, MQTT_PROP_RECEIVE_MAXIMUM, &receive_max, false);
	s->window = (int)s->up->cfg->broker.inflight_max;
	if (receive_max < s->window)
		s->window = receive_max;
	if (s->window < 1)
		s->window = 1;
	s->state = SESSION_CONNECTED;
	s->stats.connects++;
	s->backoff_ms = s->up->cfg->broker.reconnect_min_ms;
	s->stats.last_error[0] = '\0';
	session_rewind(s);
	log_info(s->who, "connected to %s:%d (window %d)", s->up->cfg->broker.host, s->up->cfg->broker.port,
		 s->window);
	if (!s->site) {
		int mrc = mosquitto_subscribe_v5(s->mosq, NULL, s->topic_cmd, 1, 0, NULL);
		if (mrc != MOSQ_ERR_SUCCESS)
			log_warn(s->who, "cannot subscribe to its command topic: %s", mosquitto_strerror(mrc));
	} else {
		session_publish_health(s, true);
	}
	s->state_dirty = true;
	s->drain_wanted = true;
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc, const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	struct session *s = obj;
	if (!s->drop_wanted) {
		s->drop_wanted = true;
		snprintf(s->drop_reason, sizeof s->drop_reason, "disconnected (%s)",
			 rc > 0 && rc < 256 ? mosquitto_reason_string(rc) : mosquitto_strerror(rc));
	}
}

static void session_process_head(struct session *s);
static void session_handle_command(struct session *s, const struct mosquitto_message *msg);

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason, const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	struct session *s = obj;
	if (mid == s->state_mid || mid == s->health_mid) {
		if (reason >= 0x80)
			log_warn(s->who, "broker refused %s message: %s (0x%02x)",
				 mid == s->state_mid ? "state" : "health", mosquitto_reason_string(reason), reason);
		if (mid == s->state_mid)
			s->state_mid = 0;
		else
			s->health_mid = 0;
		return;
	}
	for (int i = 0; i < s->if_count; i++) {
		struct inflight *e = inflight_at(s, i);
		if (e->mid != mid || e->status != IF_PENDING)
			continue;
		e->reason = reason;
		if (reason < 0x80) {
			e->status = IF_ACKED;
		} else if (reason == MQTT_RC_NOT_AUTHORIZED || reason == MQTT_RC_TOPIC_NAME_INVALID ||
			   reason == MQTT_RC_PAYLOAD_FORMAT_INVALID || reason == MQTT_RC_PACKET_TOO_LARGE ||
			   reason == MQTT_RC_IMPLEMENTATION_SPECIFIC) {
			e->status = IF_REFUSED_PERMANENT;
		} else {
			/* 0x97 quota exceeded, 0x80 unspecified, 0x89 server busy... */
			e->status = IF_REFUSED_TRANSIENT;
		}
		break;
	}
	session_process_head(s);
	s->drain_wanted = true;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	(void)mosq;
	(void)props;
	session_handle_command(obj, msg);
}

/* libmosquitto reports why a TLS handshake failed (e.g. "certificate
 * verify failed") only through its log callback: keep the last such line
 * so the connection error can say it. These lines carry no secrets. */
static void on_mosquitto_log(struct mosquitto *mosq, void *obj, int level, const char *line)
{
	(void)mosq;
	struct session *s = obj;
	static const char tag[] = "OpenSSL Error";
	if (level != MOSQ_LOG_ERR || strncmp(line, tag, sizeof tag - 1) != 0)
		return;
	const char *text = strstr(line, ": ");
	str_copy(s->tls_error, sizeof s->tls_error, text ? text + 2 : line);
}

static void session_connect(struct session *s)
{
	const struct broker_conf *bc = &s->up->cfg->broker;
	const struct agent_conf *ac = &s->up->cfg->agent;
	char client_id[160];
	int rc;

	snprintf(client_id, sizeof client_id, "dockside-%s-%s", ac->gateway_id, s->name);
	s->mosq = mosquitto_new(client_id, true, s);
	if (!s->mosq) {
		session_drop(s, "out of memory");
		return;
	}
	mosquitto_int_option(s->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_int_option(s->mosq, MOSQ_OPT_SEND_MAXIMUM, (int)bc->inflight_max);
	mosquitto_connect_v5_callback_set(s->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(s->mosq, on_disconnect);
	mosquitto_publish_v5_callback_set(s->mosq, on_publish);
	mosquitto_message_v5_callback_set(s->mosq, on_message);
	mosquitto_log_callback_set(s->mosq, on_mosquitto_log);
	s->tls_error[0] = '\0';
	if (s->cred.username[0]) {
		rc = mosquitto_username_pw_set(s->mosq, s->cred.username,
					       s->cred.password[0] ? s->cred.password : NULL);
		if (rc != MOSQ_ERR_SUCCESS) {
			session_drop(s, "cannot set username");
			return;
		}
	}
	if (bc->tls) {
		rc = mosquitto_tls_set(s->mosq, bc->ca_file[0] ? bc->ca_file : NULL, NULL,
				       s->cred.cert[0] ? s->cred.cert : NULL, s->cred.key[0] ? s->cred.key : NULL,
				       NULL);
		if (rc == MOSQ_ERR_SUCCESS && !bc->ca_file[0])
			rc = mosquitto_int_option(s->mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
		if (rc != MOSQ_ERR_SUCCESS) {
			char reason[160];
			snprintf(reason, sizeof reason, "TLS setup failed: %s", mosquitto_strerror(rc));
			session_drop(s, reason);
			return;
		}
	}
	if (s->site) {
		char will[256];
		int n = snprintf(will, sizeof will, "{\"online\":false,\"gateway\":\"%s\",\"site\":\"%s\"}",
				 ac->gateway_id, ac->site);
		mosquitto_will_set_v5(s->mosq, s->topic_health, n, will, 1, true, NULL);
	}
	s->state = SESSION_CONNECTING;
	rc = mosquitto_connect_bind_async(s->mosq, bc->host, bc->port, (int)bc->keepalive_s, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		char reason[160];
		snprintf(reason, sizeof reason, "%s", rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		session_drop(s, reason);
		return;
	}
	int fd = mosquitto_socket(s->mosq);
	s->watch = loop_watch_add(s->up->loop, fd, POLLIN | POLLOUT, session_io, s);
	s->misc_timer = loop_timer_add(s->up->loop, MISC_INTERVAL_MS, session_misc, s);
	if (!s->watch || !s->misc_timer)
		session_drop(s, "out of memory");
}

/* ---- publishing --------------------------------------------------------- */

struct batch_build {
	struct strbuf *sb;
	int64_t first_seq, last_seq;
	size_t n;
	const char *id_prefix;   /* "GATEWAY/STREAM/" every body's id must start with */
	size_t id_prefix_len;
	bool foreign;            /* a body whose id names another stream */
};

static int batch_add_row(void *arg, int64_t seq, const char *body, size_t len)
{
	struct batch_build *b = arg;
	/* Defence in depth: the stored id must name this stream. */
	static const char id_key[] = "{\"id\":\"";
	if (len < sizeof id_key - 1 + b->id_prefix_len || memcmp(body, id_key, sizeof id_key - 1) != 0 ||
	    memcmp(body + sizeof id_key - 1, b->id_prefix, b->id_prefix_len) != 0) {
		b->foreign = true;
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
	json_append_string(&sb, alarm, strlen(alarm), NULL);
	strbuf_puts(&sb, ",\"tenant\":");
	json_append_string(&sb, s->name, strlen(s->name), NULL);
	strbuf_printf(&sb, ",\"first_seq\":%lld,\"last_seq\":%lld,\"reason\":", (long long)first, (long long)last);
	json_append_string(&sb, reason, strlen(reason), NULL);
	strbuf_puts(&sb, "}");
	if (!sb.failed)
		ingest_submit_system(s->up->ingest, STORE_SITE_STREAM, "device", strbuf_steal(&sb));
	strbuf_free(&sb);
}

/* Moves a refused range to quarantine, with alarm and audit. */
static void session_quarantine(struct session *s, const char *stream, int64_t first, int64_t last,
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
			s->next_seq = session_acked_seq(s) + 1;
		}
		return -1;
	}

	snprintf(id_prefix, sizeof id_prefix, "%s/%s/", cfg->agent.gateway_id, stream);
	struct strbuf *sb = &up->payload;
	strbuf_reset(sb);
	strbuf_puts(sb, "{\"v\":1,\"gateway\":");
	json_append_string(sb, cfg->agent.gateway_id, strlen(cfg->agent.gateway_id), NULL);
	if (s->site) {
		strbuf_puts(sb, ",\"site\":");
		json_append_string(sb, cfg->agent.site, strlen(cfg->agent.site), NULL);
	} else {
		strbuf_puts(sb, ",\"tenant\":");
		json_append_string(sb, stream, strlen(stream), NULL);
	}
	strbuf_puts(sb, ",\"events\":[");
	struct batch_build b = {.sb = sb, .id_prefix = id_prefix, .id_prefix_len = strlen(id_prefix)};
	int n = store_read_events(up->store, stream, from_seq, to_seq, max_events, (size_t)cfg->broker.batch_max_bytes,
				  batch_add_row, &b);
	if (n < 0) {
		log_error(s->who, "cannot read its outbox from the store");
		return -1;
	}
	if (b.foreign) {
		s->stats.isolation_refusals++;
		log_error(s->who, "REFUSED: stored event after seq %lld does not belong to %s",
			  (long long)b.last_seq, stream);
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
static void session_process_head(struct session *s)
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

static void session_wake_in(struct session *s, int64_t ms)
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
static bool session_drain_turn(struct session *s)
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

static void session_publish_state(struct session *s)
{
	struct store_stream_info info;
	struct strbuf sb;
	if (s->state_mid || s->site)
		return;
	store_stream_info(s->up->store, s->name, &info);
	strbuf_init(&sb);
	char ts[40];
	format_iso8601_ms(wall_now_ms(), ts, sizeof ts);
	strbuf_puts(&sb, "{\"v\":1,\"gateway\":");
	json_append_string(&sb, s->up->cfg->agent.gateway_id, strlen(s->up->cfg->agent.gateway_id), NULL);
	strbuf_puts(&sb, ",\"tenant\":");
	json_append_string(&sb, s->name, strlen(s->name), NULL);
	strbuf_printf(&sb,
		      ",\"ts\":\"%s\",\"first_seq\":%lld,\"last_seq\":%lld,\"acked_seq\":%lld,\"backlog\":%lld,"
		      "\"counts\":{\"scan\":%lld,\"weight\":%lld,\"conveyor\":%lld,\"device\":%lld}}",
		      ts, (long long)info.first_retained_seq, (long long)info.last_seq, (long long)info.acked_seq,
		      (long long)info.backlog, (long long)info.count_scan, (long long)info.count_weight,
		      (long long)info.count_conveyor, (long long)info.count_device);
	if (!sb.failed) {
		int mid = 0;
		if (mosquitto_publish_v5(s->mosq, &mid, s->topic_state, (int)sb.len, sb.buf, 1, true, NULL) ==
		    MOSQ_ERR_SUCCESS) {
			s->state_mid = mid;
			s->state_dirty = false;
			s->last_state_ms = loop_now_ms();
		}
	}
	strbuf_free(&sb);
}

static void session_publish_health(struct session *s, bool online)
{
	struct uplink *up = s->up;
	struct strbuf sb;
	char ts[40];
	if (!s->mosq)
		return;
	strbuf_init(&sb);
	format_iso8601_ms(wall_now_ms(), ts, sizeof ts);
	strbuf_printf(&sb, "{\"online\":%s,\"gateway\":", online ? "true" : "false");
	json_append_string(&sb, up->cfg->agent.gateway_id, strlen(up->cfg->agent.gateway_id), NULL);
	strbuf_puts(&sb, ",\"site\":");
	json_append_string(&sb, up->cfg->agent.site, strlen(up->cfg->agent.site), NULL);
	strbuf_printf(&sb, ",\"ts\":\"%s\",\"version\":\"%s\"", ts, DOCKSIDE_VERSION);
	if (online) {
		/* Per-tenant connection state and backlog: counts, no content. */
		strbuf_puts(&sb, ",\"tenants\":{");
		for (size_t i = 1; i < up->n_sessions; i++) {
			struct session *t = up->sessions[i];
			struct store_stream_info info;
			store_stream_info(up->store, t->name, &info);
			if (i > 1)
				strbuf_puts(&sb, ",");
			json_append_string(&sb, t->name, strlen(t->name), NULL);
			strbuf_printf(&sb, ":{\"connection\":\"%s\",\"backlog\":%lld,\"alarm\":%s}",
				      session_state_name(t->state), (long long)info.backlog,
				      t->stats.alarm ? "true" : "false");
		}
		strbuf_puts(&sb, "}");
		if (up->health_cb) {
			strbuf_puts(&sb, ",");
			up->health_cb(up->health_arg, &sb);
		}
	}
	strbuf_puts(&sb, "}");
	if (!sb.failed) {
		int mid = 0;
		if (mosquitto_publish_v5(s->mosq, &mid, s->topic_health, (int)sb.len, sb.buf, 1, true, NULL) ==
		    MOSQ_ERR_SUCCESS)
			s->health_mid = mid;
		s->last_health_ms = loop_now_ms();
	}
	strbuf_free(&sb);
}

/* ---- cloud commands ----------------------------------------------------- */

static void session_refuse_command(struct session *s, const char *why)
{
	s->stats.commands_refused++;
	store_count(s->up->store, s->name, "command_refused", 1);
	log_warn(s->who, "command refused: %s", why);
}

/* A request on tenant T's cmd topic acts on T's data only. */
static void session_handle_command(struct session *s, const struct mosquitto_message *msg)
{
	struct command cmd;
	s->stats.commands_received++;
	if (s->site || strcmp(msg->topic, s->topic_cmd) != 0) {
		session_refuse_command(s, "message on an unexpected topic");
		return;
	}
	enum command_error err = command_parse(msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0,
					       s->name, &cmd);
	if (err != COMMAND_OK) {
		session_refuse_command(s, command_error_string(err));
		if (err == COMMAND_ERR_OTHER_TENANT) {
			char detail[160];
			snprintf(detail, sizeof detail, "source=cloud refused=%s named_tenant=%s",
				 command_error_string(err), cmd.named_tenant);
			store_audit_append(s->up->store, wall_now_ms(), -1, s->name, "command-refused", detail);
		}
		return;
	}
	char detail[160];
	snprintf(detail, sizeof detail, "source=cloud from=%lld to=%lld", (long long)cmd.from_seq,
		 (long long)cmd.to_seq);
	store_audit_append(s->up->store, wall_now_ms(), -1, s->name, "replay", detail);
	if (uplink_replay(s->up, s->name, cmd.from_seq, cmd.to_seq) < 0)
		session_refuse_command(s, "replay range holds no retained events");
}

int uplink_replay(struct uplink *up, const char *tenant, int64_t from_seq, int64_t to_seq)
{
	struct session *s = uplink_find_session(up, tenant);
	struct store_stream_info info;
	if (!s || s->site) {
		errno = ENOENT;
		return -1;
	}
	store_stream_info(up->store, tenant, &info);
	if (to_seq < 0 || to_seq > info.acked_seq)
		to_seq = info.acked_seq; /* unacked events are on their way anyway */
	if (from_seq < info.first_retained_seq)
		from_seq = info.first_retained_seq;
	if (info.last_seq == 0 || from_seq > to_seq) {
		errno = ERANGE;
		return -1;
	}
	if (s->replaying) {
		/* A request while one runs widens it rather than cutting the
		 * first one short: re-sending a few extra retained events of the
		 * same tenant costs duplicates, never a gap. */
		if (from_seq > s->replay_next)
			from_seq = s->replay_next;
		if (to_seq < s->replay_to)
			to_seq = s->replay_to;
	}
	s->replaying = true;
	s->replay_next = from_seq;
	s->replay_to = to_seq;
	s->drain_wanted = true;
	log_info(s->who, "replaying seq %lld..%lld", (long long)from_seq, (long long)to_seq);
	return 0;
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
