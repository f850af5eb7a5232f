/* Disk full: the store on a 2 MiB tmpfs is filled by store_commit until
 * STORE_ERR_FULL. No crash, nothing half-applied, every event committed
 * before is still readable, the database is intact, and once space is
 * freed commits succeed again by themselves with no seq gap.
 *
 * Needs root for mount(8); exits 77 (CTest skip) otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "tests/unit/test_store_helpers.h"

static char *mount_dir;
static bool mounted;

static void unmount_at_exit(void)
{
	if (mounted && umount2(mount_dir, MNT_DETACH) != 0)
		fprintf(stderr, "umount %s: %s\n", mount_dir, strerror(errno));
	mounted = false;
	if (mount_dir)
		rmdir(mount_dir);
}

struct read_check {
	int64_t next;
	int bad;
};

static int check_row(void *arg, int64_t seq, const char *body, size_t len)
{
	struct read_check *rc = arg;
	char id[64];
	snprintf(id, sizeof id, "\"id\":\"gw-test-01/acme/%lld\"", (long long)seq);
	if (seq != rc->next || !strstr(body, id) || len < 100)
		rc->bad++;
	rc->next = seq + 1;
	return 0;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP: the disk-full test mounts a tmpfs and must run as root\n");
		return 77;
	}
	mount_dir = test_make_dir();
	if (mount("tmpfs", mount_dir, "tmpfs", 0, "size=2m,mode=0700") != 0) {
		fprintf(stderr, "mount tmpfs on %s: %s\n", mount_dir, strerror(errno));
		rmdir(mount_dir);
		return 1;
	}
	mounted = true;
	atexit(unmount_at_exit);

	/* A filler file created first, to be deleted later as "space returns". */
	char filler[600];
	snprintf(filler, sizeof filler, "%s/filler", mount_dir);
	int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0);
	static char block[256 * 1024];
	memset(block, 'x', sizeof block);
	REQUIRE(write(fd, block, sizeof block) == (ssize_t)sizeof block);
	close(fd);

	struct store *st = test_open(mount_dir, 0, 0);
	struct store_event evs[64];
	char data[64][128];
	int64_t committed = 0;
	int status = STORE_OK;
	int other_errors = 0;
	for (int round = 0; round < 10000; round++) {
		test_fill_events(evs, data, 64, "acme", "scan", round);
		status = store_commit(st, evs, 64);
		if (status == STORE_ERR_FULL)
			break;
		if (status != STORE_OK) {
			other_errors++;
			break;
		}
		for (int i = 0; i < 64; i++)
			CHECK_EQ_INT(evs[i].seq, committed + 1 + i);
		committed += 64;
	}
	CHECK_EQ_INT(status, STORE_ERR_FULL);
	CHECK_EQ_INT(other_errors, 0);
	CHECK(committed > 0);
	printf("disk full after %lld committed events\n", (long long)committed);

	/* Nothing half-applied: the seq counter and outputs were rolled back. */
	struct store_stream_info info;
	CHECK_EQ_INT(store_stream_info(st, "acme", &info), 0);
	CHECK_EQ_INT(info.last_seq, committed);
	for (int i = 0; i < 64; i++)
		CHECK_EQ_INT(evs[i].seq, 0);
	/* Retrying while still full fails the same way, without a crash. */
	CHECK_EQ_INT(store_commit(st, evs, 64), STORE_ERR_FULL);
	store_ack(st, "acme", 10); /* if this flush fails, the ack stays pending */
	int flushed = store_flush(st);
	CHECK(flushed == STORE_ERR_FULL || flushed == STORE_OK);

	/* Every event committed before is still readable, in order. */
	struct read_check rc = { .next = 1, .bad = 0 };
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, check_row, &rc), committed);
	CHECK_EQ_INT(rc.bad, 0);
	CHECK(test_integrity_ok(store_path(st)));

	/* Space returns: commits work again and seq continues without a gap. */
	REQUIRE(unlink(filler) == 0);
	test_fill_events(evs, data, 64, "acme", "scan", 99999);
	CHECK_EQ_INT(store_commit(st, evs, 64), STORE_OK);
	CHECK_EQ_INT(evs[0].seq, committed + 1);
	CHECK_EQ_INT(evs[63].seq, committed + 64);
	store_close(st);

	/* And all of it survives a reopen. */
	st = test_open(mount_dir, 0, 0);
	rc.next = 1;
	CHECK_EQ_INT(store_read_events(st, "acme", 1, -1, 0, 0, check_row, &rc), committed + 64);
	CHECK_EQ_INT(rc.bad, 0);
	CHECK_EQ_INT(store_stream_info(st, "acme", &info), 0);
	CHECK_EQ_INT(info.acked_seq, 10);
	CHECK(test_integrity_ok(store_path(st)));
	store_close(st);

	unmount_at_exit();
	free(mount_dir);
	if (test_failures) {
		fprintf(stderr, "%d check(s) failed\n", test_failures);
		return 1;
	}
	printf("disk full handled\n");
	return 0;
}
