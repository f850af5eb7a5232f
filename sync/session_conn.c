/* One MQTT v5 connection per session on the daemon's poll loop:
 * connect with backoff and jitter, libmosquitto callbacks, tear-down. */
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

/* ---- connection lifecycle ---------------------------------------------- */


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
	int64_t delay = backoff_next_delay(&s->backoff_ms, bc->reconnect_max_ms);
	s->reconnect_timer = loop_timer_add(s->up->loop, delay, session_reconnect_timer, s);
}

/* Tears the connection down (outside libmosquitto callbacks only). */
void session_drop(struct session *s, const char *reason)
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
	s->stats.connected_since_ms = 0;
	s->drop_wanted = false;
	session_rewind(s);
	session_schedule_reconnect(s);
}

void session_check_drop(struct session *s, int rc, const char *what)
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

void session_io(struct loop *loop, int fd, short revents, void *arg)
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

void session_misc(struct loop *loop, void *arg)
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
	s->stats.connected_since_ms = wall_now_ms();
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

void session_connect(struct session *s)
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
