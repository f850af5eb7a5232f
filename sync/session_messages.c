/* A session's other messages: the retained per-tenant state
 * (reconciliation watermarks), the site's retained health, and cloud
 * commands arriving on the tenant's cmd topic. */
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

void session_publish_state(struct session *s)
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
	json_append_cstring(&sb, s->up->cfg->agent.gateway_id);
	strbuf_puts(&sb, ",\"tenant\":");
	json_append_cstring(&sb, s->name);
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

void session_publish_health(struct session *s, bool online)
{
	struct uplink *up = s->up;
	struct strbuf sb;
	char ts[40];
	if (!s->mosq)
		return;
	strbuf_init(&sb);
	format_iso8601_ms(wall_now_ms(), ts, sizeof ts);
	strbuf_printf(&sb, "{\"online\":%s,\"gateway\":", online ? "true" : "false");
	json_append_cstring(&sb, up->cfg->agent.gateway_id);
	strbuf_puts(&sb, ",\"site\":");
	json_append_cstring(&sb, up->cfg->agent.site);
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
			json_append_cstring(&sb, t->name);
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
void session_handle_command(struct session *s, const struct mosquitto_message *msg)
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
