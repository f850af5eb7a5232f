/* The audit log: append-only rows chained by SHA-256.
 *
 * hash = hex(SHA-256(prev_hash_hex "\n" canonical)), where canonical is
 * id, ts_ms, uid, tenant, action, detail, one per line. Numbers are
 * decimal; text fields are written as LENGTH ":" BYTES so a newline inside
 * a detail cannot make two different rows hash alike; a NULL tenant is
 * "-". The first row's prev_hash is 64 zeros.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "agent/log.h"
#include "sync/store_private.h"

#define HASH_HEX_LEN 64
static const char genesis_hash[HASH_HEX_LEN + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static void append_field(struct strbuf *sb, const char *text)
{
	if (!text) {
		strbuf_puts(sb, "-\n");
		return;
	}
	strbuf_printf(sb, "%zu:", strlen(text));
	strbuf_puts(sb, text);
	strbuf_append(sb, "\n", 1);
}

/* Writes the row hash as 64 hex digits + NUL into out. */
static int audit_hash(struct strbuf *sb, const char *prev_hash, int64_t id, int64_t ts_ms, long uid,
		      const char *tenant, const char *action, const char *detail, char out[HASH_HEX_LEN + 1])
{
	strbuf_reset(sb);
	strbuf_puts(sb, prev_hash);
	strbuf_printf(sb, "\n%lld\n%lld\n%ld\n", (long long)id, (long long)ts_ms, uid);
	append_field(sb, tenant);
	append_field(sb, action);
	append_field(sb, detail);
	if (sb->failed)
		return -1;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(sb->buf, sb->len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int store_audit_append(struct store *st, int64_t ts_ms, long uid, const char *tenant,
		       const char *action, const char *detail)
{
	if (!action || !*action) {
		log_error(STORE_WHO, "audit: an action is required");
		return -1;
	}
	if (!detail)
		detail = "";
	if (store_txn_begin(st) != STORE_OK)
		return -1;
	char prev[HASH_HEX_LEN + 1];
	char hash[HASH_HEX_LEN + 1];
	int64_t id = 1;
	memcpy(prev, genesis_hash, sizeof prev);
	sqlite3_stmt *s = st->stmt[STMT_AUDIT_LAST];
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(s, 1);
		id = sqlite3_column_int64(s, 0) + 1;
		/* A damaged last hash still chains: verify will point at it. */
		str_copy(prev, sizeof prev, h ? h : "");
		rc = SQLITE_DONE;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto fail;
	if (audit_hash(&st->scratch, prev, id, ts_ms, uid, tenant, action, detail, hash) != 0) {
		rc = SQLITE_NOMEM;
		goto fail;
	}
	s = st->stmt[STMT_AUDIT_INSERT];
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, ts_ms);
	sqlite3_bind_int64(s, 3, uid);
	store_bind_text(s, 4, tenant);
	sqlite3_bind_text(s, 5, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto fail;
	return store_txn_commit(st) == STORE_OK ? 0 : -1;
fail:
	store_txn_fail(st, rc, "audit append");
	return -1;
}

int store_audit_verify(struct store *st, int64_t *bad_id)
{
	sqlite3_stmt *s = st->stmt[STMT_AUDIT_WALK];
	char expect_prev[HASH_HEX_LEN + 1];
	char hash[HASH_HEX_LEN + 1];
	memcpy(expect_prev, genesis_hash, sizeof expect_prev);
	int64_t expect_id = 1;
	int ret = 0, rc;
	*bad_id = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(s, 0);
		const char *prev = (const char *)sqlite3_column_text(s, 6);
		const char *stored = (const char *)sqlite3_column_text(s, 7);
		if (audit_hash(&st->scratch, prev ? prev : "", id, sqlite3_column_int64(s, 1),
			       (long)sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3),
			       (const char *)sqlite3_column_text(s, 4), (const char *)sqlite3_column_text(s, 5),
			       hash) != 0) {
			ret = -1;
			break;
		}
		if (id != expect_id || !prev || strcmp(prev, expect_prev) != 0 || !stored ||
		    strcmp(stored, hash) != 0) {
			/* A gap names the first row after the missing ones. */
			*bad_id = id;
			ret = 1;
			break;
		}
		memcpy(expect_prev, hash, sizeof expect_prev);
		expect_id = id + 1;
	}
	sqlite3_reset(s);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_error(STORE_WHO, "%s: audit verify: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return ret;
}

int store_audit_list(struct store *st, int64_t limit, void (*cb)(void *arg, const struct store_audit_row *row),
		     void *arg)
{
	sqlite3_stmt *s = st->stmt[STMT_AUDIT_LIST];
	sqlite3_bind_int64(s, 1, limit > 0 ? limit : -1);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_audit_row row = {
			.id = sqlite3_column_int64(s, 0),
			.ts_ms = sqlite3_column_int64(s, 1),
			.uid = (long)sqlite3_column_int64(s, 2),
			.tenant = (const char *)sqlite3_column_text(s, 3),
			.action = (const char *)sqlite3_column_text(s, 4),
			.detail = (const char *)sqlite3_column_text(s, 5),
			.hash = (const char *)sqlite3_column_text(s, 6),
		};
		cb(arg, &row);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error(STORE_WHO, "%s: audit list: %s", st->path, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}
