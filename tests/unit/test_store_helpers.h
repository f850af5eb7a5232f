/* Shared by the store tests: checks that report FILE:LINE, temporary data
 * directories, and a few one-line store helpers. Header-only so each test
 * stays a standalone executable. */
#ifndef DOCKSIDE_TEST_STORE_HELPERS_H
#define DOCKSIDE_TEST_STORE_HELPERS_H

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/util.h"
#include "sync/store.h"

static int test_failures;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			test_failures++;                                                     \
		}                                                                            \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                    \
	do {                                                                                  \
		long long va_ = (long long)(a), vb_ = (long long)(b);                         \
		if (va_ != vb_) {                                                             \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, \
				#a, #b, va_, vb_);                                            \
			test_failures++;                                                      \
		}                                                                             \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                                     \
	do {                                                                                   \
		const char *sa_ = (a), *sb_ = (b);                                             \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                   \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
				#a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");           \
			test_failures++;                                                       \
		}                                                                              \
	} while (0)

/* Fatal: the rest of the test cannot run. */
#define REQUIRE(cond)                                                                            \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: required check failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                                 \
		}                                                                                \
	} while (0)

static inline char *test_make_dir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/dockside-store-XXXXXX", base && *base ? base : "/tmp");
	char *dir = mkdtemp(tmpl);
	REQUIRE(dir != NULL);
	return strdup(dir);
}

/* Store directories are flat: the database, its -wal and -shm files and
 * whatever a test put there. */
static inline void test_remove_dir(char *dir)
{
	if (!dir)
		return;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
}

static inline struct store *test_open(const char *dir, int64_t retention_ms, int64_t retention_events)
{
	struct store_config cfg = {
		.data_dir = dir,
		.gateway_id = "gw-test-01",
		.retention_ms = retention_ms,
		.retention_events = retention_events,
	};
	struct store *st = NULL;
	char err[512] = "";
	if (store_open(&st, &cfg, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "store_open(%s): %s\n", dir, err);
		exit(1);
	}
	return st;
}

/* Fills n events of one stream with a recognisable data object. */
static inline void test_fill_events(struct store_event *evs, char (*data)[128], size_t n, const char *stream,
				    const char *kind, int tag)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(data[i], sizeof data[i], "{\"text\":\"code-%d-%zu\",\"n\":%zu}", tag, i, i);
		memset(&evs[i], 0, sizeof evs[i]);
		evs[i].stream = stream;
		evs[i].ts_ms = 1796396651123LL + (int64_t)i;
		evs[i].device = "dock-1-scanner";
		evs[i].station = "dock-1";
		evs[i].kind = kind;
		evs[i].data = data[i];
	}
}

/* Runs PRAGMA integrity_check on a separate connection; true if "ok". */
static inline bool test_integrity_ok(const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	bool ok = false;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(s, 0);
		ok = res && strcmp(res, "ok") == 0;
		if (!ok)
			fprintf(stderr, "integrity_check: %s\n", res ? res : "(null)");
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

#endif
