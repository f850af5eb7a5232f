/* Durable ingest and drain of the store, against a plain SQLite loop.
 *
 *   bench_ingest [-d DIR] [-n EVENTS] [-b BACKLOG]
 *
 * 1. Plain loop: one table, a prepared INSERT of ~200-byte rows, 512 rows
 *    per transaction, WAL, synchronous=FULL: what SQLite itself does.
 * 2. store_commit in batches of 512 events (bodies composed by the store,
 *    about the same size), same disk, same run. Each side runs twice,
 *    interleaved; the best run of each is reported.
 * 3. A BACKLOG-event outbox is built, then a fresh process (re-exec of this
 *    binary, so its peak RSS is its own) opens the store and drains it with
 *    store_read_events in batches of 512 events / 256 KiB, acking as it
 *    goes, and reports open time, drain rate and peak RSS.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/log.h"
#include "agent/util.h"
#include "sync/store.h"

#define BATCH 512

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_ingest: %s: %s\n", what, detail);
	exit(1);
}

static void remove_store_files(const char *dir, const char *name)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char path[1024];
		snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix[i]);
		unlink(path);
	}
}

/* ---- 1. the plain loop ---------------------------------------------- */

static double plain_loop(const char *dir, long n, size_t row_len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/plain.db", dir);
	remove_store_files(dir, "plain.db");
	sqlite3 *db;
	sqlite3_stmt *ins;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			     "CREATE TABLE rows(seq INTEGER PRIMARY KEY, body TEXT NOT NULL)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO rows(seq, body) VALUES(?1, ?2)", -1, &ins, NULL) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	char *body = malloc(row_len + 1);
	memset(body, 'x', row_len);
	body[row_len] = '\0';
	double t0 = now_s();
	for (long i = 0; i < n;) {
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (int k = 0; k < BATCH && i < n; k++, i++) {
			/* Rows differ like real ones do. */
			int len = snprintf(body, row_len, "{\"seq\":%ld,", i + 1);
			body[len] = 'x';
			sqlite3_bind_int64(ins, 1, i + 1);
			sqlite3_bind_text(ins, 2, body, (int)row_len, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die("plain insert", sqlite3_errmsg(db));
			sqlite3_reset(ins);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("plain commit", sqlite3_errmsg(db));
	}
	double rate = (double)n / (now_s() - t0);
	free(body);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	remove_store_files(dir, "plain.db");
	return rate;
}

/* ---- 2. the store --------------------------------------------------- */

static struct store *open_store(const char *dir)
{
	struct store_config cfg = { .data_dir = dir, .gateway_id = "gw-berlin-01" };
	struct store *st;
	char err[512];
	if (store_open(&st, &cfg, err, sizeof err) != STORE_OK)
		die("store_open", err);
	return st;
}

/* Commits n events to stream acme in batches; returns events/s. */
static double store_ingest(struct store *st, long n, size_t *body_len)
{
	static struct store_event evs[BATCH];
	static char data[BATCH][96];
	double t0 = now_s();
	int64_t ts = wall_now_ms();
	for (long i = 0; i < n;) {
		int k = 0;
		for (; k < BATCH && i < n; k++, i++) {
			snprintf(data[k], sizeof data[k], "{\"text\":\"]C10109506000134352%08ld\",\"aim\":\"]C1\"}", i);
			evs[k] = (struct store_event){
				.stream = "acme", .ts_ms = ts + i / 1000, .device = "dock-1-scanner",
				.station = "dock-1", .kind = "scan", .data = data[k],
			};
		}
		int rc = store_commit(st, evs, (size_t)k);
		if (rc != STORE_OK)
			die("store_commit", rc == STORE_ERR_FULL ? "disk full" : "error");
	}
	double rate = (double)n / (now_s() - t0);
	(void)body_len;
	return rate;
}

static int measure_len(void *arg, int64_t seq, const char *body, size_t len)
{
	(void)seq;
	(void)body;
	*(size_t *)arg = len;
	return 1;
}

/* ---- 3. drain, in a fresh process ------------------------------------ */

struct drain_state {
	int64_t last_seq;
	size_t bytes;
};

static int drain_row(void *arg, int64_t seq, const char *body, size_t len)
{
	struct drain_state *d = arg;
	(void)body;
	d->last_seq = seq;
	d->bytes += len;
	return 0;
}

static int drain_main(const char *dir)
{
	double t0 = now_s();
	struct store *st = open_store(dir);
	double opened = now_s() - t0;
	struct store_stream_info info;
	store_stream_info(st, "acme", &info);
	struct drain_state d = { info.acked_seq, 0 };
	int64_t events = 0;
	t0 = now_s();
	int batches = 0;
	for (;;) {
		int n = store_read_events(st, "acme", d.last_seq + 1, -1, BATCH, 256 * 1024, drain_row, &d);
		if (n < 0)
			die("store_read_events", "failed");
		if (n == 0)
			break;
		events += n;
		store_ack(st, "acme", d.last_seq);
		if (++batches % 64 == 0 && store_flush(st) != STORE_OK)
			die("store_flush", "failed");
	}
	store_flush(st);
	double secs = now_s() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("drain: open with %lld-event backlog %.3f s; %lld events (%.1f MiB) in %.2f s = %.0f events/s; "
	       "peak RSS %ld KiB\n",
	       (long long)info.backlog, opened, (long long)events, (double)d.bytes / 1048576.0, secs,
	       (double)events / secs, ru.ru_maxrss);
	store_close(st);
	return events == info.backlog ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	long n = 300000, backlog = 1000000;
	int opt;
	log_set_level(LOG_LVL_WARN);
	while ((opt = getopt(argc, argv, "d:n:b:D:h")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 'b': backlog = strtol(optarg, NULL, 10); break;
		case 'D': return drain_main(optarg);
		default:
			fprintf(stderr, "usage: bench_ingest [-d DIR] [-n EVENTS] [-b BACKLOG]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	char tmpl[1024];
	bool own_dir = !dir;
	if (own_dir) {
		snprintf(tmpl, sizeof tmpl, "%s/dockside-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp");
		dir = mkdtemp(tmpl);
		if (!dir)
			die("mkdtemp", strerror(errno));
	}
	printf("directory: %s, %ld events per ingest run, batches of %d, synchronous=FULL\n", dir, n, BATCH);

	/* The store's body size sets the plain loop's row size. */
	remove_store_files(dir, STORE_FILE_NAME);
	struct store *st = open_store(dir);
	size_t body_len = 0;
	store_ingest(st, 1, NULL);
	store_read_events(st, "acme", 1, 1, 1, 0, measure_len, &body_len);
	store_close(st);

	double best_plain = 0, best_store = 0;
	for (int round = 0; round < 2; round++) {
		double p = plain_loop(dir, n, body_len);
		remove_store_files(dir, STORE_FILE_NAME);
		st = open_store(dir);
		double s = store_ingest(st, n, NULL);
		store_close(st);
		printf("round %d: plain loop %.0f rows/s, store_commit %.0f events/s\n", round + 1, p, s);
		if (p > best_plain)
			best_plain = p;
		if (s > best_store)
			best_store = s;
	}
	printf("ingest: plain loop %.0f rows/s, store_commit %.0f events/s (%zu-byte bodies), ratio %.2f\n",
	       best_plain, best_store, body_len, best_store / best_plain);

	if (backlog > 0) {
		remove_store_files(dir, STORE_FILE_NAME);
		st = open_store(dir);
		double t0 = now_s();
		store_ingest(st, backlog, NULL);
		printf("backlog: %ld events committed in %.2f s, store %.1f MiB\n", backlog, now_s() - t0,
		       (double)store_size_bytes(st) / 1048576.0);
		store_close(st);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			execl("/proc/self/exe", argv[0], "-D", dir, (char *)NULL);
			_exit(127);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			fprintf(stderr, "drain run failed\n");
	}
	remove_store_files(dir, STORE_FILE_NAME);
	if (own_dir)
		rmdir(dir);
	return 0;
}
