/* Power loss: the store runs on a VFS shim over the default unix VFS that
 * remembers, for every write, truncate and unlink not yet made durable by
 * an fsync, what the file held before. At a random I/O operation the
 * "power fails": that operation and every later one fail, the store is
 * closed, and the unsynced changes are undone (all of them, or all but an
 * in-order prefix, which is what a kernel that flushed part of its page
 * cache leaves behind). Then the store is reopened normally.
 *
 * Over many rounds this shows: every event whose store_commit returned
 * STORE_OK survives with its exact body, seq stays gapless, every ack
 * whose flush returned STORE_OK survives, and integrity_check passes. */
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include "tests/unit/test_store_helpers.h"

/* ---- the power-loss VFS ---------------------------------------------- */

struct undo_record {
	char path[512];
	int64_t offset;      /* old bytes go back here */
	char *old;           /* may be NULL when nothing existed there */
	size_t old_len;
	int64_t size_before; /* then the file is cut back to this size */
};

static struct {
	sqlite3_vfs vfs;
	sqlite3_vfs *real;
	struct undo_record *undo;
	size_t n_undo, cap_undo;
	long ops_until_crash; /* < 0: no crash planned */
	bool crashed;
	long ops;
} shim;

struct shim_file {
	sqlite3_file base;
	sqlite3_file *real;
	char path[512];
};

static bool shim_tick(void)
{
	if (shim.crashed)
		return false;
	shim.ops++;
	if (shim.ops_until_crash >= 0 && shim.ops_until_crash-- == 0) {
		shim.crashed = true;
		return false;
	}
	return true;
}

static void undo_push(const char *path, int64_t offset, char *old, size_t old_len, int64_t size_before)
{
	if (shim.n_undo == shim.cap_undo) {
		shim.cap_undo = shim.cap_undo ? shim.cap_undo * 2 : 256;
		shim.undo = realloc(shim.undo, shim.cap_undo * sizeof *shim.undo);
		REQUIRE(shim.undo != NULL);
	}
	struct undo_record *u = &shim.undo[shim.n_undo++];
	snprintf(u->path, sizeof u->path, "%s", path);
	u->offset = offset;
	u->old = old;
	u->old_len = old_len;
	u->size_before = size_before;
}

/* Everything written to path is durable now. */
static void undo_forget(const char *path)
{
	size_t keep = 0;
	for (size_t i = 0; i < shim.n_undo; i++) {
		if (strcmp(shim.undo[i].path, path) == 0)
			free(shim.undo[i].old);
		else
			shim.undo[keep++] = shim.undo[i];
	}
	shim.n_undo = keep;
}

/* Records what [offset, offset+len) holds now, before it changes. */
static int remember(struct shim_file *f, int64_t offset, int64_t len)
{
	sqlite3_int64 size = 0;
	int rc = f->real->pMethods->xFileSize(f->real, &size);
	if (rc != SQLITE_OK)
		return rc;
	char *old = NULL;
	size_t old_len = 0;
	if (offset < size) {
		old_len = (size_t)((offset + len < size ? offset + len : size) - offset);
		old = malloc(old_len);
		REQUIRE(old != NULL);
		rc = f->real->pMethods->xRead(f->real, old, (int)old_len, offset);
		if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) {
			free(old);
			return rc;
		}
	}
	undo_push(f->path, offset, old, old_len, size);
	return SQLITE_OK;
}

/* Power comes back: undo the unsynced changes after the first `keep`. */
static void power_restore(size_t keep)
{
	for (size_t i = shim.n_undo; i-- > keep;) {
		struct undo_record *u = &shim.undo[i];
		int fd = open(u->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		REQUIRE(fd >= 0);
		if (u->old_len)
			REQUIRE(pwrite(fd, u->old, u->old_len, u->offset) == (ssize_t)u->old_len);
		REQUIRE(ftruncate(fd, u->size_before) == 0);
		close(fd);
	}
	for (size_t i = 0; i < shim.n_undo; i++)
		free(shim.undo[i].old);
	shim.n_undo = 0;
}

static int shim_close(sqlite3_file *file)
{
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xClose(f->real);
}

static int shim_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int shim_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	struct shim_file *f = (struct shim_file *)file;
	if (!shim_tick())
		return SQLITE_IOERR_WRITE;
	int rc = remember(f, off, amt);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int shim_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct shim_file *f = (struct shim_file *)file;
	if (!shim_tick())
		return SQLITE_IOERR_TRUNCATE;
	sqlite3_int64 cur = 0;
	int rc = f->real->pMethods->xFileSize(f->real, &cur);
	if (rc == SQLITE_OK && cur > size)
		rc = remember(f, size, cur - size);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

/* The real fsync is skipped: durability here is what the shim says. */
static int shim_sync(sqlite3_file *file, int flags)
{
	struct shim_file *f = (struct shim_file *)file;
	(void)flags;
	if (!shim_tick())
		return SQLITE_IOERR_FSYNC;
	undo_forget(f->path);
	return SQLITE_OK;
}

static int shim_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xFileSize(f->real, size);
}

#define FORWARD(name, ...) ((struct shim_file *)file)->real->pMethods->name(((struct shim_file *)file)->real, __VA_ARGS__)

static int shim_lock(sqlite3_file *file, int lock) { return FORWARD(xLock, lock); }
static int shim_unlock(sqlite3_file *file, int lock) { return FORWARD(xUnlock, lock); }
static int shim_check_reserved(sqlite3_file *file, int *out) { return FORWARD(xCheckReservedLock, out); }
static int shim_file_control(sqlite3_file *file, int op, void *arg) { return FORWARD(xFileControl, op, arg); }
static int shim_sector_size(sqlite3_file *file)
{
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xSectorSize(f->real);
}
static int shim_device_characteristics(sqlite3_file *file)
{
	struct shim_file *f = (struct shim_file *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}
static int shim_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
	return FORWARD(xShmMap, pg, pgsz, extend, pp);
}
static int shim_shm_lock(sqlite3_file *file, int offset, int n, int flags) { return FORWARD(xShmLock, offset, n, flags); }
static void shim_shm_barrier(sqlite3_file *file)
{
	struct shim_file *f = (struct shim_file *)file;
	f->real->pMethods->xShmBarrier(f->real);
}
static int shim_shm_unmap(sqlite3_file *file, int del) { return FORWARD(xShmUnmap, del); }

static const sqlite3_io_methods shim_io = {
	.iVersion = 2, /* no xFetch: every page goes through xRead */
	.xClose = shim_close,
	.xRead = shim_read,
	.xWrite = shim_write,
	.xTruncate = shim_truncate,
	.xSync = shim_sync,
	.xFileSize = shim_file_size,
	.xLock = shim_lock,
	.xUnlock = shim_unlock,
	.xCheckReservedLock = shim_check_reserved,
	.xFileControl = shim_file_control,
	.xSectorSize = shim_sector_size,
	.xDeviceCharacteristics = shim_device_characteristics,
	.xShmMap = shim_shm_map,
	.xShmLock = shim_shm_lock,
	.xShmBarrier = shim_shm_barrier,
	.xShmUnmap = shim_shm_unmap,
};

static int shim_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	struct shim_file *f = (struct shim_file *)file;
	(void)vfs;
	memset(f, 0, sizeof *f);
	f->real = (sqlite3_file *)(f + 1);
	snprintf(f->path, sizeof f->path, "%s", name ? name : "");
	int rc = shim.real->xOpen(shim.real, name, f->real, flags, out_flags);
	f->base.pMethods = rc == SQLITE_OK ? &shim_io : NULL;
	return rc;
}

static int shim_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	if (!shim_tick())
		return SQLITE_IOERR_DELETE;
	/* Model an unlink as durable at once, dropping its pending undo. */
	undo_forget(name);
	return shim.real->xDelete(shim.real, name, sync_dir);
}

static void shim_register(void)
{
	shim.real = sqlite3_vfs_find(NULL);
	REQUIRE(shim.real != NULL);
	shim.vfs = *shim.real;
	shim.vfs.zName = "dockside-power-loss";
	shim.vfs.szOsFile = (int)sizeof(struct shim_file) + shim.real->szOsFile;
	shim.vfs.xOpen = shim_open;
	shim.vfs.xDelete = shim_delete;
	shim.vfs.pNext = NULL;
	shim.ops_until_crash = -1;
	REQUIRE(sqlite3_vfs_register(&shim.vfs, 0) == SQLITE_OK);
}

/* ---- the model of what must survive ---------------------------------- */

#define N_STREAMS 3
static const char *const stream_names[N_STREAMS] = { "acme", "globex", STORE_SITE_STREAM };

struct stream_model {
	uint64_t *hash;      /* hash[seq]: body hash of a committed event, 0 = unknown */
	int64_t cap;
	int64_t last_known;  /* highest seq known to be durable */
	int64_t acked;       /* highest ack whose flush returned OK */
};
static struct stream_model model[N_STREAMS];

static uint64_t body_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h | 1; /* never 0 */
}

static void model_set(struct stream_model *m, int64_t seq, uint64_t h)
{
	if (seq >= m->cap) {
		int64_t cap = m->cap ? m->cap : 1024;
		while (cap <= seq)
			cap *= 2;
		m->hash = realloc(m->hash, (size_t)cap * sizeof *m->hash);
		REQUIRE(m->hash != NULL);
		memset(m->hash + m->cap, 0, (size_t)(cap - m->cap) * sizeof *m->hash);
		m->cap = cap;
	}
	m->hash[seq] = h;
	if (seq > m->last_known)
		m->last_known = seq;
}

struct verify_ctx {
	struct stream_model *m;
	int64_t next;
	long mismatches, gaps;
};

static int verify_row(void *arg, int64_t seq, const char *body, size_t len)
{
	struct verify_ctx *v = arg;
	if (seq != v->next)
		v->gaps++;
	v->next = seq + 1;
	uint64_t h = body_hash(body, len);
	if (seq < v->m->cap && v->m->hash[seq] != 0) {
		if (v->m->hash[seq] != h)
			v->mismatches++;
	} else {
		/* A commit that reported failure may still have reached the
		 * disk before the power went; from now on it must stay. */
		model_set(v->m, seq, h);
	}
	return 0;
}

static struct store *open_store(const char *dir, bool on_shim)
{
	struct store_config cfg = { .data_dir = dir, .gateway_id = "gw-crash", .vfs_name = on_shim ? "dockside-power-loss" : NULL };
	struct store *st = NULL;
	char err[512];
	if (store_open(&st, &cfg, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "store_open after power loss: %s\n", err);
		exit(1);
	}
	return st;
}

static void verify_after_power_loss(const char *dir, int round)
{
	struct store *st = open_store(dir, false);
	for (int s = 0; s < N_STREAMS; s++) {
		struct stream_model *m = &model[s];
		struct store_stream_info info;
		int known = store_stream_info(st, stream_names[s], &info) == 0;
		if (!known) {
			CHECK_EQ_INT(m->last_known, 0);
			continue;
		}
		if (info.last_seq < m->last_known) {
			fprintf(stderr, "round %d: stream %s lost committed events: last_seq %lld < %lld\n", round,
				stream_names[s], (long long)info.last_seq, (long long)m->last_known);
			test_failures++;
		}
		if (info.acked_seq < m->acked) {
			fprintf(stderr, "round %d: stream %s lost a flushed ack: %lld < %lld\n", round,
				stream_names[s], (long long)info.acked_seq, (long long)m->acked);
			test_failures++;
		}
		struct verify_ctx v = { .m = m, .next = 1 };
		int64_t n = store_read_events(st, stream_names[s], 1, -1, 0, 0, verify_row, &v);
		CHECK_EQ_INT(n, info.last_seq);
		if (v.mismatches || v.gaps) {
			fprintf(stderr, "round %d: stream %s: %ld bodies changed, %ld gaps\n", round, stream_names[s],
				v.mismatches, v.gaps);
			test_failures++;
		}
	}
	store_close(st);
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, STORE_FILE_NAME);
	if (!test_integrity_ok(path)) {
		fprintf(stderr, "round %d: integrity_check failed\n", round);
		test_failures++;
	}
}

/* One life of the daemon: commit, ack and checkpoint until the power goes. */
static void run_until_power_loss(const char *dir, unsigned *seed, long crash_after, long *committed_events)
{
	struct store *st = open_store(dir, true);
	shim.ops_until_crash = crash_after;
	struct store_event evs[16];
	char data[16][128];
	int64_t pending_ack[N_STREAMS] = { 0 };
	for (int step = 0; !shim.crashed && step < 100000; step++) {
		int action = rand_r(seed) % 10;
		if (action < 7) {
			size_t n = 1 + (size_t)rand_r(seed) % 16;
			test_fill_events(evs, data, n, "acme", "scan", step);
			for (size_t i = 0; i < n; i++) {
				evs[i].stream = stream_names[rand_r(seed) % N_STREAMS];
				evs[i].ts_ms += rand_r(seed) % 100000;
			}
			if (store_commit(st, evs, n) != STORE_OK)
				continue;
			/* STORE_OK: these bodies, as a reader sees them now, must
			 * survive whatever happens next. */
			for (size_t i = 0; i < n; i++) {
				int s = 0;
				while (strcmp(evs[i].stream, stream_names[s]) != 0)
					s++;
				REQUIRE(evs[i].outcome == STORE_EVENT_COMMITTED);
				struct verify_ctx v = { .m = &model[s], .next = evs[i].seq };
				REQUIRE(store_read_events(st, stream_names[s], evs[i].seq, evs[i].seq, 0, 0,
							  verify_row, &v) == 1);
			}
			*committed_events += (long)n;
		} else if (action < 9) {
			int s = rand_r(seed) % N_STREAMS;
			struct store_stream_info info;
			if (store_stream_info(st, stream_names[s], &info) == 0 && info.last_seq > 0) {
				int64_t upto = 1 + rand_r(seed) % info.last_seq;
				store_ack(st, stream_names[s], upto);
				if (upto > pending_ack[s])
					pending_ack[s] = upto;
			}
			if (store_flush(st) == STORE_OK)
				for (int k = 0; k < N_STREAMS; k++)
					if (pending_ack[k] > model[k].acked)
						model[k].acked = pending_ack[k];
		} else {
			store_prune(st, wall_now_ms()); /* retention off: a checkpoint */
		}
	}
	store_close(st); /* fails its writes: the power is already off */
	shim.ops_until_crash = -1;
}

int main(void)
{
	shim_register();
	char *dir = test_make_dir();
	unsigned seed = 20261204;
	const char *env = getenv("DOCKSIDE_POWER_LOSS_SEED");
	if (env)
		seed = (unsigned)strtoul(env, NULL, 10);
	printf("seed %u\n", seed);
	const int rounds = 200;
	long committed = 0, ops = 0, partial = 0;
	for (int round = 0; round < rounds && test_failures == 0; round++) {
		long crash_after = rand_r(&seed) % 400;
		shim.crashed = false;
		shim.ops = 0;
		run_until_power_loss(dir, &seed, crash_after, &committed);
		ops += shim.ops;
		/* Half the rounds lose every unsynced write; the others keep an
		 * in-order prefix of them. */
		size_t keep = 0;
		if (round % 2 && shim.n_undo) {
			keep = (size_t)rand_r(&seed) % (shim.n_undo + 1);
			partial++;
		}
		power_restore(keep);
		verify_after_power_loss(dir, round);
	}
	int64_t total = 0;
	for (int s = 0; s < N_STREAMS; s++)
		total += model[s].last_known;
	printf("%d power losses, %ld events committed with STORE_OK, %lld stored at the end, "
	       "%ld I/O operations, %ld partial flushes\n",
	       rounds, committed, (long long)total, ops, partial);
	CHECK(committed > 1000);
	for (int s = 0; s < N_STREAMS; s++)
		free(model[s].hash);
	free(shim.undo);
	test_remove_dir(dir);
	if (test_failures) {
		fprintf(stderr, "%d check(s) failed\n", test_failures);
		return 1;
	}
	return 0;
}
