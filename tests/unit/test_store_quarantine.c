/* Quarantine on a real store: unowned events at commit, refused batches
 * moved out of the outbox (acked_seq moves past them only at the front),
 * assign to a tenant with a new seq and id, drop with a counted reason. */
#include <cjson/cJSON.h>
#include <errno.h>

#include "tests/unit/test_store_helpers.h"

struct qrows {
	int n;
	int64_t id[64];
	int64_t orig_seq[64];
	char stream[64][64];
	char reason[64][64];
	char body[64][512];
};

static void on_qrow(void *arg, const struct store_quarantine_row *row)
{
	struct qrows *q = arg;
	if (q->n >= 64)
		return;
	q->id[q->n] = row->id;
	q->orig_seq[q->n] = row->orig_seq;
	snprintf(q->stream[q->n], 64, "%s", row->stream ? row->stream : "(none)");
	snprintf(q->reason[q->n], 64, "%s", row->reason);
	snprintf(q->body[q->n], 512, "%s", row->body);
	q->n++;
}

struct bodies {
	int n;
	int64_t seq[64];
	char body[64][512];
};

static int on_body(void *arg, int64_t seq, const char *body, size_t len)
{
	struct bodies *b = arg;
	(void)len;
	if (b->n < 64) {
		b->seq[b->n] = seq;
		snprintf(b->body[b->n], 512, "%s", body);
		b->n++;
	}
	return 0;
}

static int64_t counter_of(struct store *st, const char *stream, const char *reason);

struct counter_query {
	const char *stream, *reason;
	int64_t n;
};

static void on_counter(void *arg, const char *stream, const char *reason, int64_t n)
{
	struct counter_query *q = arg;
	if (strcmp(stream, q->stream) == 0 && strcmp(reason, q->reason) == 0)
		q->n += n;
}

static int64_t counter_of(struct store *st, const char *stream, const char *reason)
{
	struct counter_query q = { stream, reason, 0 };
	CHECK_EQ_INT(store_list_counters(st, on_counter, &q), 0);
	return q.n;
}

static void test_unowned_event_is_quarantined_at_commit_and_assigned(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	struct store_event evs[3];
	char data[3][128];
	test_fill_events(evs, data, 3, "acme", "scan", 7);
	evs[1].stream = NULL;
	evs[1].quarantine_reason = "unknown_gs1_prefix";
	REQUIRE(store_commit(st, evs, 3) == STORE_OK);
	CHECK_EQ_INT(evs[1].outcome, STORE_EVENT_QUARANTINED);
	CHECK(evs[1].quarantine_id > 0);
	CHECK_EQ_INT(evs[1].seq, 0);
	CHECK_EQ_INT(evs[2].seq, 2); /* no gap in acme for the quarantined one */

	struct qrows q = { 0 };
	CHECK_EQ_INT(store_quarantine_list(st, on_qrow, &q), 0);
	REQUIRE(q.n == 1);
	CHECK_EQ_INT(q.id[0], evs[1].quarantine_id);
	CHECK_EQ_STR(q.stream[0], "(none)");
	CHECK_EQ_STR(q.reason[0], "unknown_gs1_prefix");
	CHECK_EQ_STR(q.body[0], "{\"ts\":\"2026-12-04T15:04:11.124Z\",\"device\":\"dock-1-scanner\","
				"\"station\":\"dock-1\",\"kind\":\"scan\",\"data\":{\"text\":\"code-7-1\",\"n\":1}}");

	int64_t new_seq = 0;
	CHECK_EQ_INT(store_quarantine_assign(st, q.id[0], "globex", &new_seq), 0);
	CHECK_EQ_INT(new_seq, 1);
	struct bodies b = { 0 };
	CHECK_EQ_INT(store_read_events(st, "globex", 1, -1, 0, 0, on_body, &b), 1);
	char expect[512];
	snprintf(expect, sizeof expect,
		 "{\"id\":\"gw-test-01/globex/1\",\"seq\":1,\"ts\":\"2026-12-04T15:04:11.124Z\","
		 "\"device\":\"dock-1-scanner\",\"station\":\"dock-1\",\"kind\":\"scan\","
		 "\"data\":{\"text\":\"code-7-1\",\"n\":1},\"quarantine_id\":%lld}",
		 (long long)q.id[0]);
	CHECK_EQ_STR(b.body[0], expect);
	memset(&q, 0, sizeof q);
	store_quarantine_list(st, on_qrow, &q);
	CHECK_EQ_INT(q.n, 0);
	/* Assigned once: a second assign of the same id finds nothing. */
	errno = 0;
	CHECK_EQ_INT(store_quarantine_assign(st, evs[1].quarantine_id, "globex", &new_seq), -1);
	CHECK_EQ_INT(errno, ENOENT);
	errno = 0;
	CHECK_EQ_INT(store_quarantine_drop(st, 4242), -1);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_EQ_INT(store_quarantine_assign(st, 1, "Bad Tenant", &new_seq), -1);
	struct store_stream_info info;
	store_stream_info(st, "globex", &info);
	CHECK_EQ_INT(info.last_seq, 1);
	CHECK_EQ_INT(info.count_scan, 1);
	store_close(st);
	test_remove_dir(dir);
}

static void test_refused_batch_moves_to_quarantine_and_front_advances_ack(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	struct store_event evs[10];
	char data[10][128];
	test_fill_events(evs, data, 10, "acme", "scan", 3);
	REQUIRE(store_commit(st, evs, 10) == STORE_OK);
	store_ack(st, "acme", 2);

	/* Not at the front (3 is neither acked nor quarantined): ack stays. */
	CHECK_EQ_INT(store_quarantine_range(st, "acme", 6, 7, "puback_0x87"), 2);
	struct store_stream_info info;
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.acked_seq, 2);

	/* The front batch: ack moves past it and past 6-7, which are
	 * quarantined already, up to the next publishable event. */
	CHECK_EQ_INT(store_quarantine_range(st, "acme", 3, 5, "puback_0x87"), 3);
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.acked_seq, 7);
	CHECK_EQ_INT(info.backlog, 3);
	/* Quarantined rows are not published any more. */
	struct bodies b = { 0 };
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, on_body, &b), 5);
	CHECK_EQ_INT(b.seq[0], 1);
	CHECK_EQ_INT(b.seq[1], 2);
	CHECK_EQ_INT(b.seq[2], 8);
	/* Moving them again moves nothing. */
	CHECK_EQ_INT(store_quarantine_range(st, "acme", 3, 7, "puback_0x87"), 0);
	CHECK_EQ_INT(counter_of(st, "acme", "puback_0x87"), 5);

	struct qrows q = { 0 };
	store_quarantine_list(st, on_qrow, &q);
	REQUIRE(q.n == 5);
	CHECK_EQ_STR(q.stream[0], "acme");
	CHECK_EQ_INT(q.orig_seq[0], 6);
	CHECK_EQ_INT(q.orig_seq[2], 3);
	CHECK(strstr(q.body[0], "\"id\":\"gw-test-01/acme/6\"") != NULL);

	/* Drop one: counted against its stream. */
	CHECK_EQ_INT(store_quarantine_drop(st, q.id[0]), 0);
	CHECK_EQ_INT(counter_of(st, "acme", "quarantine_dropped"), 1);
	/* Assign one back to the same tenant: a new seq, the data unchanged. */
	int64_t new_seq = 0;
	CHECK_EQ_INT(store_quarantine_assign(st, q.id[2], "acme", &new_seq), 0);
	CHECK_EQ_INT(new_seq, 11);
	memset(&b, 0, sizeof b);
	CHECK_EQ_INT(store_read_events(st, "acme", 11, 11, 0, 0, on_body, &b), 1);
	cJSON *j = cJSON_Parse(b.body[0]);
	REQUIRE(j != NULL);
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")), "gw-test-01/acme/11");
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "text")),
		     "code-3-2");
	CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "quarantine_id")), q.id[2]);
	cJSON_Delete(j);

	/* Everything survives reopen. */
	store_close(st);
	st = test_open(dir, 0, 0);
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.acked_seq, 7);
	CHECK_EQ_INT(info.last_seq, 11);
	CHECK_EQ_INT(counter_of(st, "acme", "quarantine_dropped"), 1);
	memset(&q, 0, sizeof q);
	store_quarantine_list(st, on_qrow, &q);
	CHECK_EQ_INT(q.n, 3);
	CHECK_EQ_INT(store_quarantine_range(st, "nobody", 1, 2, "x"), -1);
	store_close(st);
	test_remove_dir(dir);
}

int main(void)
{
	test_unowned_event_is_quarantined_at_commit_and_assigned();
	test_refused_batch_moves_to_quarantine_and_front_advances_ack();
	if (test_failures) {
		fprintf(stderr, "%d check(s) failed\n", test_failures);
		return 1;
	}
	printf("all quarantine checks passed\n");
	return 0;
}
