/* Internals of the uplink, shared by its files:
 *   uplink.c            construction, the loop's prepare hook, accessors
 *   session_conn.c      one MQTT v5 connection: connect, callbacks, drop
 *   session_publish.c   in-flight window, batches, isolation check, acks
 *   session_messages.c  retained state and health messages, cloud commands
 * Not for use outside sync/uplink*.c and sync/session_*.c. */
#ifndef DOCKSIDE_UPLINK_PRIVATE_H
#define DOCKSIDE_UPLINK_PRIVATE_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/rate.h"
#include "agent/util.h"
#include "sync/credentials.h"
#include "sync/uplink.h"

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

/* session_publish.c */
struct inflight *inflight_at(struct session *s, int i);
struct inflight *inflight_push(struct session *s);
void inflight_pop(struct session *s);
int64_t session_acked_seq(struct session *s);
void session_rewind(struct session *s);
void session_process_head(struct session *s);
void session_quarantine(struct session *s, const char *stream, int64_t first, int64_t last, const char *reason);
void session_wake_in(struct session *s, int64_t ms);
bool session_drain_turn(struct session *s);

/* session_conn.c */
void session_connect(struct session *s);
void session_drop(struct session *s, const char *reason);
void session_check_drop(struct session *s, int rc, const char *what);

/* session_messages.c */
void session_publish_state(struct session *s);
void session_publish_health(struct session *s, bool online);
void session_handle_command(struct session *s, const struct mosquitto_message *msg);

#endif
