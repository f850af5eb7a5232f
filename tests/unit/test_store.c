/* The store's outbox contract on real SQLite files: gapless seq across
 * reopen, exact wire bodies, streaming reads with limits, durable acks,
 * quotas that refuse one stream only, counters, retention, migrations. */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "tests/unit/test_store_helpers.h"

struct collected {
	int64_t seqs[4096];
	char *bodies[4096];
	size_t n;
	size_t bytes;
	int stop_after; /* callback returns 1 after this many rows, 0 = never */
};

static int collect(void *arg, int64_t seq, const char *body, size_t len)
{
	struct collected *c = arg;
	CHECK_EQ_INT(strlen(body), len);
	if (c->n < 4096) {
		c->seqs[c->n] = seq;
		c->bodies[c->n] = strndup(body, len);
		c->n++;
	}
	c->bytes += len;
	return c->stop_after && (int)c->n >= c->stop_after;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n && i < 4096; i++)
		free(c->bodies[i]);
	memset(c, 0, sizeof *c);
}

static int64_t commit_n(struct store *st, const char *stream, size_t n, int tag)
{
	struct store_event evs[64];
	char data[64][128];
	REQUIRE(n <= 64);
	test_fill_events(evs, data, n, stream, "scan", tag);
	REQUIRE(store_commit(st, evs, n) == STORE_OK);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(evs[i].outcome, STORE_EVENT_COMMITTED);
	return n ? evs[n - 1].seq : 0;
}

static void test_seq_gapless_across_reopen(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	struct store_event evs[10];
	char data[10][128];
	test_fill_events(evs, data, 10, "acme", "scan", 1);
	evs[3].stream = "globex";
	evs[7].stream = STORE_SITE_STREAM;
	REQUIRE(store_commit(st, evs, 10) == STORE_OK);
	int64_t acme = 0;
	for (int i = 0; i < 10; i++) {
		CHECK_EQ_INT(evs[i].outcome, STORE_EVENT_COMMITTED);
		if (i == 3 || i == 7)
			CHECK_EQ_INT(evs[i].seq, 1);
		else
			CHECK_EQ_INT(evs[i].seq, ++acme);
	}
	store_close(st);
	st = test_open(dir, 0, 0);
	CHECK_EQ_INT(commit_n(st, "acme", 5, 2), 13);
	CHECK_EQ_INT(commit_n(st, "globex", 1, 2), 2);
	struct store_stream_info info;
	CHECK_EQ_INT(store_stream_info(st, "acme", &info), 0);
	CHECK_EQ_INT(info.last_seq, 13);
	CHECK_EQ_INT(info.first_retained_seq, 1);
	CHECK_EQ_INT(info.backlog, 13);
	CHECK_EQ_INT(info.count_scan, 13);
	CHECK_EQ_INT(info.oldest_unacked_ts_ms, 1796396651123LL);
	CHECK_EQ_INT(store_stream_info(st, "nobody", &info), -1);
	CHECK_EQ_STR(info.stream, "nobody");
	CHECK_EQ_INT(info.last_seq, 0);
	store_close(st);
	test_remove_dir(dir);
}

static void test_body_is_exact_wire_json(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	struct store_event evs[3] = {
		{ .stream = "acme", .ts_ms = 1796397851123LL, .device = "dock-1-scanner", .station = "dock-1",
		  .kind = "scan", .data = "{\"text\":\"]C10109506000134352\",\"aim\":\"]C1\"}" },
		{ .stream = STORE_SITE_STREAM, .ts_ms = 1796397851005LL, .device = "line-a", .station = "",
		  .kind = "conveyor", .data = "{\"speed\":1.5}" },
		{ .stream = "acme", .ts_ms = 1796397851999LL, .device = "odd\"name\n", .station = NULL,
		  .kind = "weight", .data = "{\"g\":100}" },
	};
	REQUIRE(store_commit(st, evs, 3) == STORE_OK);
	struct collected c = { 0 };
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, collect, &c), 2);
	CHECK_EQ_STR(c.bodies[0],
		     "{\"id\":\"gw-test-01/acme/1\",\"seq\":1,\"ts\":\"2026-12-04T15:24:11.123Z\","
		     "\"device\":\"dock-1-scanner\",\"station\":\"dock-1\",\"kind\":\"scan\","
		     "\"data\":{\"text\":\"]C10109506000134352\",\"aim\":\"]C1\"}}");
	/* Field by field through a JSON parser, too. */
	cJSON *j = cJSON_Parse(c.bodies[1]);
	REQUIRE(j != NULL);
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")), "gw-test-01/acme/2");
	CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "seq")), 2);
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "ts")), "2026-12-04T15:24:11.999Z");
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "device")), "odd\"name\n");
	CHECK(cJSON_GetObjectItem(j, "station") == NULL);
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "kind")), "weight");
	CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "data"), "g")), 100);
	cJSON_Delete(j);
	collected_free(&c);
	CHECK_EQ_INT(store_read_events(st, STORE_SITE_STREAM, 1, -1, 0, 0, collect, &c), 1);
	CHECK_EQ_STR(c.bodies[0], "{\"id\":\"gw-test-01/_site/1\",\"seq\":1,\"ts\":\"2026-12-04T15:24:11.005Z\","
				  "\"device\":\"line-a\",\"kind\":\"conveyor\",\"data\":{\"speed\":1.5}}");
	collected_free(&c);
	store_close(st);
	test_remove_dir(dir);
}

/* The store formats each second once; the text must still equal
 * format_iso8601_ms for every event, across second and day boundaries
 * and clocks that step back. */
static void test_timestamps_match_iso8601_formatter(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	static const int64_t ts[] = { 1796399999998LL, 1796399999999LL, 1796400000000LL, 1796400000001LL,
				      1796399999999LL, 1796428799999LL, 1796428800000LL, 0, 999, 1000,
				      1796400000000LL, 1796400000100LL };
	enum { N = sizeof ts / sizeof ts[0] };
	struct store_event evs[N];
	char data[N][128];
	test_fill_events(evs, data, N, "acme", "scan", 0);
	for (int i = 0; i < N; i++)
		evs[i].ts_ms = ts[i];
	REQUIRE(store_commit(st, evs, N) == STORE_OK);
	struct collected c = { 0 };
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, collect, &c), N);
	for (int i = 0; i < N && i < (int)c.n; i++) {
		char want[40], field[64];
		format_iso8601_ms(ts[i], want, sizeof want);
		snprintf(field, sizeof field, "\"ts\":\"%s\"", want);
		if (!strstr(c.bodies[i], field)) {
			fprintf(stderr, "event %d: want %s in %s\n", i, field, c.bodies[i]);
			test_failures++;
		}
	}
	collected_free(&c);
	store_close(st);
	test_remove_dir(dir);
}

static void test_read_order_and_limits(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	for (int i = 0; i < 10; i++)
		commit_n(st, "acme", 50, i);
	commit_n(st, "globex", 7, 0);
	struct collected c = { 0 };
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, collect, &c), 500);
	for (size_t i = 0; i < c.n; i++)
		CHECK_EQ_INT(c.seqs[i], (int64_t)i + 1);
	size_t one = strlen(c.bodies[0]);
	collected_free(&c);

	CHECK_EQ_INT(store_read_events(st, "acme", 100, -1, 20, 0, collect, &c), 20);
	CHECK_EQ_INT(c.seqs[0], 100);
	CHECK_EQ_INT(c.seqs[19], 119);
	collected_free(&c);

	CHECK_EQ_INT(store_read_events(st, "acme", 100, 104, 20, 0, collect, &c), 5);
	collected_free(&c);

	/* Bytes: stop before the row that would pass the limit. Bodies of
	 * seq 1..9 share a length (one-digit seq and data index). */
	CHECK_EQ_INT(store_read_events(st, "acme", 1, 9, 0, 3 * one + one / 2, collect, &c), 3);
	CHECK(c.bytes <= 3 * one + one / 2);
	collected_free(&c);
	/* The first row is always delivered, even when it alone is too big. */
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 1, collect, &c), 1);
	collected_free(&c);
	/* The callback stops it. */
	c.stop_after = 4;
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, collect, &c), 4);
	collected_free(&c);
	/* Nothing past the end, nothing of another stream. */
	CHECK_EQ_INT(store_read_events(st, "acme", 501, -1, 0, 0, collect, &c), 0);
	CHECK_EQ_INT(store_read_events(st, "globex", 1, -1, 0, 0, collect, &c), 7);
	collected_free(&c);
	store_close(st);
	test_remove_dir(dir);
}

static void test_acks_persist_with_next_commit_and_never_go_back(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	commit_n(st, "acme", 20, 0);
	CHECK(!store_has_pending(st));
	store_ack(st, "acme", 12);
	CHECK(store_has_pending(st));
	struct store_stream_info info;
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.acked_seq, 12);
	CHECK_EQ_INT(info.backlog, 8);
	CHECK_EQ_INT(info.oldest_unacked_ts_ms, 1796396651123LL + 12);
	store_ack(st, "acme", 5); /* backwards: ignored */
	store_ack(st, "acme", 99); /* past the end: clamped */
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.acked_seq, 20);
	CHECK_EQ_INT(info.oldest_unacked_ts_ms, 0);
	store_ack(st, "acme", 20);

	/* Written by the next commit, of any stream. */
	commit_n(st, "globex", 1, 0);
	CHECK(!store_has_pending(st));
	sqlite3 *db;
	REQUIRE(sqlite3_open(store_path(st), &db) == SQLITE_OK);
	sqlite3_stmt *s;
	REQUIRE(sqlite3_prepare_v2(db, "SELECT acked_seq FROM streams WHERE stream='acme'", -1, &s, NULL) ==
		SQLITE_OK);
	REQUIRE(sqlite3_step(s) == SQLITE_ROW);
	CHECK_EQ_INT(sqlite3_column_int64(s, 0), 20);
	sqlite3_finalize(s);
	sqlite3_close(db);

	/* And by flush; both survive reopen. */
	commit_n(st, "acme", 5, 1);
	store_ack(st, "acme", 23);
	CHECK_EQ_INT(store_flush(st), STORE_OK);
	store_close(st);
	st = test_open(dir, 0, 0);
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.acked_seq, 23);
	CHECK_EQ_INT(info.last_seq, 25);
	CHECK_EQ_INT(info.backlog, 2);
	store_close(st);
	test_remove_dir(dir);
}

struct counter_seen {
	char key[16][128];
	int64_t n[16];
	int count;
};

static void on_counter(void *arg, const char *stream, const char *reason, int64_t n)
{
	struct counter_seen *cs = arg;
	if (cs->count < 16) {
		snprintf(cs->key[cs->count], sizeof cs->key[0], "%s/%s", stream, reason);
		cs->n[cs->count++] = n;
	}
}

static int64_t counter_value(struct store *st, const char *key)
{
	struct counter_seen cs = { 0 };
	CHECK_EQ_INT(store_list_counters(st, on_counter, &cs), 0);
	for (int i = 0; i < cs.count; i++)
		if (strcmp(cs.key[i], key) == 0)
			return cs.n[i];
	return 0;
}

static void test_quota_refuses_one_stream_only_and_counts(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	store_set_max_backlog(st, "acme", 10);
	struct store_event evs[30];
	char data[30][128];
	test_fill_events(evs, data, 30, "acme", "scan", 0);
	for (int i = 0; i < 30; i += 2)
		evs[i].stream = "globex";
	REQUIRE(store_commit(st, evs, 30) == STORE_OK);
	int acme_ok = 0, acme_refused = 0, globex_ok = 0;
	for (int i = 0; i < 30; i++) {
		if (i % 2 == 0) {
			globex_ok += evs[i].outcome == STORE_EVENT_COMMITTED;
		} else if (evs[i].outcome == STORE_EVENT_COMMITTED) {
			acme_ok++;
			CHECK_EQ_INT(evs[i].seq, acme_ok);
		} else {
			CHECK_EQ_INT(evs[i].outcome, STORE_EVENT_REFUSED_QUOTA);
			CHECK_EQ_INT(evs[i].seq, 0);
			acme_refused++;
		}
	}
	CHECK_EQ_INT(acme_ok, 10);
	CHECK_EQ_INT(acme_refused, 5);
	CHECK_EQ_INT(globex_ok, 15);
	CHECK_EQ_INT(counter_value(st, "acme/quota"), 5);
	/* An ack makes room again. */
	store_ack(st, "acme", 4);
	test_fill_events(evs, data, 6, "acme", "scan", 1);
	REQUIRE(store_commit(st, evs, 6) == STORE_OK);
	CHECK_EQ_INT(evs[3].outcome, STORE_EVENT_COMMITTED);
	CHECK_EQ_INT(evs[3].seq, 14);
	CHECK_EQ_INT(evs[4].outcome, STORE_EVENT_REFUSED_QUOTA);
	store_close(st);
	st = test_open(dir, 0, 0);
	CHECK_EQ_INT(counter_value(st, "acme/quota"), 7);
	/* Pending counters are listed before they are written. */
	store_count(st, "acme", "quota", 3);
	store_count(st, "", "decode_error", 2);
	CHECK_EQ_INT(counter_value(st, "acme/quota"), 10);
	CHECK_EQ_INT(counter_value(st, "/decode_error"), 2);
	store_close(st);
	st = test_open(dir, 0, 0);
	CHECK_EQ_INT(counter_value(st, "acme/quota"), 10);
	CHECK_EQ_INT(counter_value(st, "/decode_error"), 2);
	store_close(st);
	test_remove_dir(dir);
}

static void test_prune_by_count_keeps_newest_acked(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 100);
	for (int i = 0; i < 100; i++)
		commit_n(st, "acme", 50, i); /* 5000 events: more than one prune chunk */
	commit_n(st, "globex", 10, 0);
	CHECK_EQ_INT(store_prune(st, wall_now_ms()), 0); /* nothing acked yet */
	store_ack(st, "acme", 4500);
	store_ack(st, "globex", 10);
	CHECK_EQ_INT(store_prune(st, wall_now_ms()), 4400);
	struct store_stream_info info;
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.first_retained_seq, 4401);
	CHECK_EQ_INT(info.last_seq, 5000);
	CHECK_EQ_INT(info.backlog, 500);
	store_stream_info(st, "globex", &info);
	CHECK_EQ_INT(info.first_retained_seq, 1);
	struct collected c = { 0 };
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, collect, &c), 600);
	CHECK_EQ_INT(c.seqs[0], 4401);
	collected_free(&c);
	store_close(st);
	test_remove_dir(dir);
}

static void test_prune_by_age_only_acked(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 60000, 0);
	struct store_event evs[20];
	char data[20][128];
	test_fill_events(evs, data, 20, "acme", "scan", 0);
	int64_t now = 1800000000000LL;
	for (int i = 0; i < 20; i++)
		evs[i].ts_ms = now - 120000 + i * 10000; /* seq 1..6 older than 60 s */
	REQUIRE(store_commit(st, evs, 20) == STORE_OK);
	store_ack(st, "acme", 4);
	CHECK_EQ_INT(store_prune(st, now), 4); /* old but unacked 5..6 stay */
	store_ack(st, "acme", 15);
	CHECK_EQ_INT(store_prune(st, now), 2); /* acked but young 7..15 stay */
	struct store_stream_info info;
	store_stream_info(st, "acme", &info);
	CHECK_EQ_INT(info.first_retained_seq, 7);
	/* The WAL was checkpointed and truncated. */
	char wal[600];
	struct stat sb;
	snprintf(wal, sizeof wal, "%s-wal", store_path(st));
	CHECK(stat(wal, &sb) == 0 && sb.st_size == 0);
	store_close(st);
	test_remove_dir(dir);
}

static int64_t user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void test_migrations_from_empty_and_reopen(void)
{
	char *dir = test_make_dir();
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, STORE_FILE_NAME);
	/* An existing empty file (e.g. created by an installer) is migrated. */
	FILE *f = fopen(path, "w");
	REQUIRE(f != NULL);
	fclose(f);
	struct store *st = test_open(dir, 0, 0);
	CHECK_EQ_STR(store_path(st), path);
	commit_n(st, "acme", 3, 0);
	CHECK(store_size_bytes(st) > 0);
	store_close(st);
	CHECK_EQ_INT(user_version(path), 1);
	st = test_open(dir, 0, 0);
	CHECK_EQ_INT(commit_n(st, "acme", 1, 0), 4);
	store_close(st);
	CHECK_EQ_INT(user_version(path), 1);
	/* A database from a newer version is refused, not damaged. */
	sqlite3 *db;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	struct store_config cfg = { .data_dir = dir, .gateway_id = "gw-test-01" };
	char err[512] = "";
	CHECK_EQ_INT(store_open(&st, &cfg, err, sizeof err), STORE_ERR);
	CHECK(strstr(err, "newer") != NULL);
	CHECK(st == NULL);
	test_remove_dir(dir);
}

static void test_open_errors_are_reported(void)
{
	struct store_config cfg = { .data_dir = "/nonexistent/dockside-dir", .gateway_id = "gw" };
	struct store *st = (struct store *)1;
	char err[512] = "";
	CHECK_EQ_INT(store_open(&st, &cfg, err, sizeof err), STORE_ERR);
	CHECK(st == NULL);
	CHECK(strstr(err, "/nonexistent/dockside-dir/dockside.db") != NULL);
}

static void test_invalid_stream_goes_to_quarantine(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	struct store_event ev = { .stream = "Not/A/Tenant", .ts_ms = 1, .device = "d", .kind = "scan",
				  .data = "{}" };
	REQUIRE(store_commit(st, &ev, 1) == STORE_OK);
	CHECK_EQ_INT(ev.outcome, STORE_EVENT_QUARANTINED);
	CHECK(ev.quarantine_id > 0);
	store_close(st);
	test_remove_dir(dir);
}

int main(void)
{
	test_seq_gapless_across_reopen();
	test_body_is_exact_wire_json();
	test_timestamps_match_iso8601_formatter();
	test_read_order_and_limits();
	test_acks_persist_with_next_commit_and_never_go_back();
	test_quota_refuses_one_stream_only_and_counts();
	test_prune_by_count_keeps_newest_acked();
	test_prune_by_age_only_acked();
	test_migrations_from_empty_and_reopen();
	test_open_errors_are_reported();
	test_invalid_stream_goes_to_quarantine();
	if (test_failures) {
		fprintf(stderr, "%d check(s) failed\n", test_failures);
		return 1;
	}
	printf("all store checks passed\n");
	return 0;
}
