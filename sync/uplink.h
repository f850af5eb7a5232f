/* The uplink: one MQTT v5 session per tenant with that tenant's
 * credentials, plus the site session. Drains each stream's outbox from the
 * store in seq order, many events per message, with an in-flight window
 * capped by the broker's Receive Maximum; an event leaves the outbox only
 * on a PUBACK below 0x80. Before every publish, the batch's stream, the
 * session's credential tenant and the topic's tenant segment must agree,
 * or nothing is sent and the batch is quarantined. */
#ifndef DOCKSIDE_UPLINK_H
#define DOCKSIDE_UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct loop;
struct store;
struct ingest;
struct uplink;
struct session;
struct strbuf;

enum session_state { SESSION_DISCONNECTED = 0, SESSION_CONNECTING, SESSION_CONNECTED };

struct session_stats {
	uint64_t connects;
	uint64_t disconnects;
	uint64_t messages_published;
	uint64_t events_published;
	uint64_t events_acked;
	uint64_t events_quarantined;
	uint64_t refusals_transient;
	uint64_t refusals_permanent;
	uint64_t isolation_refusals;
	uint64_t commands_received;
	uint64_t commands_refused;
	uint64_t replayed_events;
	int64_t last_ack_ms;           /* wall clock, 0 if never */
	int64_t connected_since_ms;    /* wall clock, 0 while not connected */
	int last_refusal_reason;       /* PUBACK reason code, 0 if none */
	char last_error[160];
	bool alarm;                    /* a batch was quarantined by the broker */
	double publish_rate;           /* events/s published, last ~10 s */
	double ack_rate;               /* events/s acknowledged, last ~10 s */
};

/* Called to fill the site health message's extra fields (JSON members
 * without braces, e.g. "\"devices\":{...}"), may be NULL. */
typedef void (*uplink_health_cb)(void *arg, struct strbuf *out);

/* Loads credentials (already validated by config_load) and creates the
 * sessions; connects nothing yet. NULL on failure (logged). */
struct uplink *uplink_new(struct loop *loop, struct store *store, struct ingest *ingest,
			  const struct config *cfg);
void uplink_set_health_cb(struct uplink *up, uplink_health_cb cb, void *arg);
/* Starts connecting every session. */
void uplink_start(struct uplink *up);
/* Tells the uplink that stream got new committed events. */
void uplink_notify(struct uplink *up, const char *stream);
/* The retained state (first retained seq, ...) changed, e.g. after a
 * prune: every tenant's state message is published again (rate-bounded). */
void uplink_state_changed(struct uplink *up);
/* Takes the once-a-second samples behind the rates in session_stats. */
void uplink_sample_rates(struct uplink *up);
/* Waits up to grace_ms for in-flight messages to be acknowledged,
 * publishes health offline, disconnects and frees. */
void uplink_free(struct uplink *up, int64_t grace_ms);

/* Republishes retained events [from, to] of tenant (to < 0: up to the
 * last one) on that tenant's session. Returns 0, or -1 with errno. */
int uplink_replay(struct uplink *up, const char *tenant, int64_t from_seq, int64_t to_seq);

/* Publishes events [from, to] of `stream` on session s, after the
 * isolation check. Exposed so tests can show that a batch forced onto the
 * wrong session is refused before anything is sent. Returns the number of
 * events published, 0 if none, -1 if refused. */
int uplink_publish_range(struct uplink *up, struct session *s, const char *stream, int64_t from_seq,
			 int64_t to_seq);

/* Iteration over sessions for status and metrics. */
size_t uplink_session_count(const struct uplink *up);
struct session *uplink_session_at(struct uplink *up, size_t i);
struct session *uplink_find_session(struct uplink *up, const char *stream);
const char *session_name(const struct session *s);  /* tenant id or "_site" */
enum session_state session_state(const struct session *s);
const char *session_state_name(enum session_state st);
const struct session_stats *session_get_stats(const struct session *s);
int session_inflight(const struct session *s);
int session_window(const struct session *s);

#endif
