/* The audit log's hash chain: appended rows verify, survive reopen, and a
 * row changed or removed behind the store's back is found by id. */
#include <openssl/evp.h>

#include "tests/unit/test_store_helpers.h"

struct audit_rows {
	int n;
	int64_t id[32];
	char hash[32][80];
	char detail[32][128];
};

static void on_audit(void *arg, const struct store_audit_row *row)
{
	struct audit_rows *a = arg;
	if (a->n < 32) {
		a->id[a->n] = row->id;
		snprintf(a->hash[a->n], 80, "%s", row->hash);
		snprintf(a->detail[a->n], 128, "%s", row->detail);
		a->n++;
	}
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg);
		exit(1);
	}
	sqlite3_close(db);
}

static void append_rows(struct store *st, int n)
{
	for (int i = 0; i < n; i++) {
		char detail[64];
		snprintf(detail, sizeof detail, "quarantine assign %d acme\nsecond line", i);
		CHECK_EQ_INT(store_audit_append(st, 1796396651000LL + i, 1000 + i, i % 2 ? "acme" : NULL,
						"quarantine_assign", detail),
			     0);
	}
}

/* The first row's hash, computed here independently from the documented
 * canonical form. */
static void check_first_hash_by_hand(const char *hash)
{
	const char *text = "0000000000000000000000000000000000000000000000000000000000000000\n"
			   "1\n1796396651000\n1000\n-\n17:quarantine_assign\n"
			   "36:quarantine assign 0 acme\nsecond line\n";
	unsigned char md[32];
	unsigned int len = 0;
	char hex[65];
	REQUIRE(EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) == 1);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	CHECK_EQ_STR(hash, hex);
}

static void test_chain_verifies_and_survives_reopen(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	int64_t bad = -1;
	CHECK_EQ_INT(store_audit_verify(st, &bad), 0); /* empty chain is intact */
	append_rows(st, 5);
	CHECK_EQ_INT(store_audit_verify(st, &bad), 0);
	store_close(st);
	st = test_open(dir, 0, 0);
	append_rows(st, 3);
	CHECK_EQ_INT(store_audit_verify(st, &bad), 0);
	struct audit_rows a = { 0 };
	CHECK_EQ_INT(store_audit_list(st, 0, on_audit, &a), 0);
	CHECK_EQ_INT(a.n, 8);
	CHECK_EQ_INT(a.id[0], 1);
	CHECK_EQ_INT(a.id[7], 8);
	check_first_hash_by_hand(a.hash[0]);
	memset(&a, 0, sizeof a);
	CHECK_EQ_INT(store_audit_list(st, 2, on_audit, &a), 0);
	CHECK_EQ_INT(a.n, 2);
	CHECK_EQ_INT(a.id[0], 7); /* the newest two, oldest first */
	CHECK_EQ_INT(a.id[1], 8);
	CHECK_EQ_INT(store_audit_append(st, 1, 0, NULL, "", "x"), -1);
	store_close(st);
	test_remove_dir(dir);
}

static void test_tampered_row_is_found(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	append_rows(st, 6);
	char path[600];
	snprintf(path, sizeof path, "%s", store_path(st));

	/* The store's triggers refuse edits... */
	sqlite3 *db;
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE audit SET detail='x' WHERE id=2", NULL, NULL, NULL) != SQLITE_OK);
	sqlite3_close(db);
	int64_t bad = 0;
	CHECK_EQ_INT(store_audit_verify(st, &bad), 0);

	/* ...but someone with the file can drop them: the chain still tells. */
	exec_sql(path, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
		       "UPDATE audit SET detail='nothing happened' WHERE id=4");
	CHECK_EQ_INT(store_audit_verify(st, &bad), 1);
	CHECK_EQ_INT(bad, 4);

	/* Recomputing that row's hash does not help: the next row's link breaks. */
	exec_sql(path, "UPDATE audit SET detail='quarantine assign 3 acme\nsecond line' WHERE id=4");
	CHECK_EQ_INT(store_audit_verify(st, &bad), 0);
	exec_sql(path, "UPDATE audit SET hash=(SELECT hash FROM audit WHERE id=1) WHERE id=3");
	CHECK_EQ_INT(store_audit_verify(st, &bad), 1);
	CHECK_EQ_INT(bad, 3);
	store_close(st);
	test_remove_dir(dir);
}

static void test_deleted_row_is_found(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	append_rows(st, 6);
	exec_sql(store_path(st), "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id=5");
	int64_t bad = 0;
	CHECK_EQ_INT(store_audit_verify(st, &bad), 1);
	CHECK_EQ_INT(bad, 6);
	/* Removing the oldest rows is found as well. */
	exec_sql(store_path(st), "DELETE FROM audit WHERE id<=2");
	CHECK_EQ_INT(store_audit_verify(st, &bad), 1);
	CHECK_EQ_INT(bad, 3);
	store_close(st);
	test_remove_dir(dir);
}

static void test_uid_and_tenant_are_covered(void)
{
	char *dir = test_make_dir();
	struct store *st = test_open(dir, 0, 0);
	append_rows(st, 3);
	exec_sql(store_path(st), "DROP TRIGGER audit_no_update; UPDATE audit SET uid=0 WHERE id=2");
	int64_t bad = 0;
	CHECK_EQ_INT(store_audit_verify(st, &bad), 1);
	CHECK_EQ_INT(bad, 2);
	exec_sql(store_path(st), "UPDATE audit SET uid=1001 WHERE id=2; UPDATE audit SET tenant='globex' WHERE id=2");
	CHECK_EQ_INT(store_audit_verify(st, &bad), 1);
	CHECK_EQ_INT(bad, 2);
	exec_sql(store_path(st), "UPDATE audit SET tenant='acme' WHERE id=2");
	CHECK_EQ_INT(store_audit_verify(st, &bad), 0);
	store_close(st);
	test_remove_dir(dir);
}

int main(void)
{
	test_chain_verifies_and_survives_reopen();
	test_tampered_row_is_found();
	test_deleted_row_is_found();
	test_uid_and_tenant_are_covered();
	if (test_failures) {
		fprintf(stderr, "%d check(s) failed\n", test_failures);
		return 1;
	}
	printf("all audit checks passed\n");
	return 0;
}
