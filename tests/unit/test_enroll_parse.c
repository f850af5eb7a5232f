/* Enrollment response parser, request body, excerpts and atomic file
 * writes. The round-trip checks write rendered credential files with
 * atomic_file_write and load them with the daemon's own credential_load,
 * proving that what enroll accepts is exactly what the daemon will read. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/util.h"
#include "sync/atomic_file.h"
#include "sync/credentials.h"
#include "sync/enroll.h"

static int failures;
static char tmpdir[] = "/tmp/dockside-enroll-unit-XXXXXX";

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			failures++;                                                        \
			fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);              \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
		}                                                                          \
	} while (0)

static int parse(const char *body, struct enroll_result *res, char *err)
{
	return enroll_parse_response(body, strlen(body), res, err, ENROLL_ERROR_MAX);
}

static void test_valid_response(void)
{
	struct enroll_result res;
	char err[ENROLL_ERROR_MAX] = "";
	const char *body = " {\"credentials\":[{\"tenant\":\"acme\",\"username\":\"acme-gw\",\"password\":\"s3cr=t:\\\"x\\\"\"},"
			   "{\"password\":\"p2\",\"username\":\"site-u\",\"scope\":\"site\"},"
			   "{\"tenant\":\"globex-2\",\"username\":\"g\\u00e9\",\"password\":\"p3\"}],\"v\":1}\r\n";
	CHECK(parse(body, &res, err) == 0, "valid response accepted: %s", err);
	CHECK(res.n_entries == 3, "three entries, got %zu", res.n_entries);
	if (res.n_entries == 3) {
		CHECK(!res.entries[0].site && strcmp(res.entries[0].tenant, "acme") == 0, "entry 1 is tenant acme");
		CHECK(strcmp(res.entries[0].password, "s3cr=t:\"x\"") == 0, "password with = : and quotes kept");
		CHECK(res.entries[1].site && res.entries[1].tenant[0] == '\0', "entry 2 is the site");
		CHECK(strcmp(res.entries[1].username, "site-u") == 0, "site username");
		CHECK(strcmp(res.entries[2].username, "g\xc3\xa9") == 0, "\\u escape becomes UTF-8");
	}
	enroll_result_free(&res);
	CHECK(res.entries == NULL && res.n_entries == 0, "free empties the result");
}

struct bad_case {
	const char *name;
	const char *body;
	const char *message;   /* part of the expected reason */
};

static void test_refused_responses(void)
{
	static const struct bad_case cases[] = {
		{"empty body", "", "not valid JSON"},
		{"not JSON", "hello", "not valid JSON"},
		{"truncated", "{\"v\":1,\"credentials\":[{\"tenant\":\"acme\"", "not valid JSON"},
		{"trailing data", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p\"}]}x",
		 "data after"},
		{"array", "[]", "not a JSON object"},
		{"no version", "{\"credentials\":[]}", "protocol version"},
		{"version string", "{\"v\":\"1\",\"credentials\":[]}", "protocol version"},
		{"version 1.5", "{\"v\":1.5,\"credentials\":[]}", "protocol version"},
		{"no credentials member", "{\"v\":1}", "no \"credentials\" array"},
		{"credentials object", "{\"v\":1,\"credentials\":{}}", "no \"credentials\" array"},
		{"empty list", "{\"v\":1,\"credentials\":[]}", "no credentials"},
		{"unknown top member", "{\"v\":1,\"credentials\":[],\"x\":1}", "unknown member \"x\""},
		{"version twice", "{\"v\":1,\"v\":1,\"credentials\":[]}", "twice"},
		{"entry not object", "{\"v\":1,\"credentials\":[\"acme\"]}", "not a JSON object"},
		{"unknown entry member",
		 "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p\",\"key\":\"k\"}]}",
		 "unknown member \"key\""},
		{"hostile member name shown sanitized",
		 "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"\\u001b[31mred\":\"u\"}]}", "\"?[31mred\""},
		{"tenant uppercase", "{\"v\":1,\"credentials\":[{\"tenant\":\"Acme\",\"username\":\"u\",\"password\":\"p\"}]}",
		 "not a valid tenant id"},
		{"tenant path", "{\"v\":1,\"credentials\":[{\"tenant\":\"../x\",\"username\":\"u\",\"password\":\"p\"}]}",
		 "not a valid tenant id"},
		{"tenant empty", "{\"v\":1,\"credentials\":[{\"tenant\":\"\",\"username\":\"u\",\"password\":\"p\"}]}",
		 "not a valid tenant id"},
		{"tenant site", "{\"v\":1,\"credentials\":[{\"tenant\":\"site\",\"username\":\"u\",\"password\":\"p\"}]}",
		 "clashes"},
		{"tenant number", "{\"v\":1,\"credentials\":[{\"tenant\":5,\"username\":\"u\",\"password\":\"p\"}]}",
		 "not a string"},
		{"scope other", "{\"v\":1,\"credentials\":[{\"scope\":\"all\",\"username\":\"u\",\"password\":\"p\"}]}",
		 "scope is not"},
		{"tenant and scope",
		 "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"scope\":\"site\",\"username\":\"u\",\"password\":\"p\"}]}",
		 "both"},
		{"neither", "{\"v\":1,\"credentials\":[{\"username\":\"u\",\"password\":\"p\"}]}", "neither"},
		{"no username", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"password\":\"p\"}]}", "no \"username\""},
		{"no password", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\"}]}", "no \"password\""},
		{"password null", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":null}]}",
		 "not a string"},
		{"newline", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p\\nq\"}]}",
		 "control character"},
		{"DEL", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\\u007f\",\"password\":\"p\"}]}",
		 "control character"},
		{"tab", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p\\tq\"}]}",
		 "control character"},
		{"NUL escape", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p\\u0000q\"}]}",
		 "NUL"},
		{"leading space", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\" u\",\"password\":\"p\"}]}",
		 "space"},
		{"trailing space", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p \"}]}",
		 "space"},
		{"comment ;", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p ;q\"}]}",
		 "comment"},
		{"comment # first", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"#p\"}]}",
		 "comment"},
		{"invalid UTF-8", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\xff\",\"password\":\"p\"}]}",
		 "UTF-8"},
		{"lone surrogate", "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\\ud800\",\"password\":\"p\"}]}",
		 ""},
		{"two sites",
		 "{\"v\":1,\"credentials\":[{\"scope\":\"site\",\"username\":\"u\",\"password\":\"p\"},"
		 "{\"scope\":\"site\",\"username\":\"v\",\"password\":\"q\"}]}",
		 "both site credentials"},
		{"duplicate tenant",
		 "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"password\":\"p\"},"
		 "{\"tenant\":\"b\",\"username\":\"u\",\"password\":\"p\"},"
		 "{\"tenant\":\"a\",\"username\":\"v\",\"password\":\"q\"}]}",
		 "credentials 1 and 3 are both for tenant a"},
		{"member twice",
		 "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"u\",\"username\":\"v\",\"password\":\"p\"}]}",
		 "given twice"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct enroll_result res = {.n_entries = 99};
		char err[ENROLL_ERROR_MAX] = "";
		int rc = parse(cases[i].body, &res, err);
		CHECK(rc == -1, "%s: refused", cases[i].name);
		CHECK(res.entries == NULL && res.n_entries == 0, "%s: result left empty", cases[i].name);
		CHECK(err[0] && strstr(err, cases[i].message), "%s: reason '%s' holds '%s'", cases[i].name, err,
		      cases[i].message);
		CHECK(!strchr(err, '\n') && !strchr(err, '\033'), "%s: reason is one clean line", cases[i].name);
		enroll_result_free(&res);
	}
}

static void test_reasons_never_hold_values(void)
{
	/* A valid password in a refused entry: the reason must not show it. */
	struct enroll_result res;
	char err[ENROLL_ERROR_MAX] = "";
	const char *body = "{\"v\":1,\"credentials\":[{\"tenant\":\"a\",\"username\":\"user-secret-1\","
			   "\"password\":\"pw-secret-2\\n\"}]}";
	CHECK(parse(body, &res, err) == -1, "newline in password refused");
	CHECK(!strstr(err, "secret"), "reason holds no value: %s", err);
}

/* Builds a response of n tenant entries, each with the given value length. */
static char *build_body(size_t n, size_t value_len, size_t tenant_len)
{
	struct strbuf sb;
	strbuf_init(&sb);
	char *value = malloc(value_len + 1);
	char tenant[80];
	memset(value, 'v', value_len);
	value[value_len] = '\0';
	strbuf_puts(&sb, "{\"v\":1,\"credentials\":[");
	for (size_t i = 0; i < n; i++) {
		snprintf(tenant, sizeof tenant, "t%zu", i);
		size_t tl = strlen(tenant);
		while (tl < tenant_len)
			tenant[tl++] = 'x';
		tenant[tl] = '\0';
		strbuf_printf(&sb, "%s{\"tenant\":\"%s\",\"username\":\"%s\",\"password\":\"%s\"}", i ? "," : "", tenant,
			      value, value);
	}
	strbuf_puts(&sb, "]}");
	free(value);
	return strbuf_steal(&sb);
}

static void test_limits(void)
{
	struct enroll_result res;
	char err[ENROLL_ERROR_MAX];
	struct { size_t n, value_len, tenant_len; int expect; const char *what; } cases[] = {
		{ENROLL_ENTRIES_MAX, 8, 0, 0, "256 entries accepted"},
		{ENROLL_ENTRIES_MAX + 1, 8, 0, -1, "257 entries refused"},
		{1, ENROLL_VALUE_MAX, 0, 0, "187-byte values accepted"},
		{1, ENROLL_VALUE_MAX + 1, 0, -1, "188-byte values refused"},
		{1, 8, 63, 0, "63-character tenant id accepted"},
		{1, 8, 64, -1, "64-character tenant id refused"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *body = build_body(cases[i].n, cases[i].value_len, cases[i].tenant_len);
		err[0] = '\0';
		int rc = parse(body, &res, err);
		CHECK(rc == cases[i].expect, "%s (%s)", cases[i].what, err);
		if (rc == 0)
			CHECK(res.n_entries == cases[i].n, "%s: entry count", cases[i].what);
		enroll_result_free(&res);
		free(body);
	}
	/* Size: one byte over the cap is refused before parsing. */
	size_t big = ENROLL_RESPONSE_MAX + 1;
	char *body = malloc(big);
	memset(body, ' ', big);
	body[0] = '{';
	body[big - 1] = '}';
	CHECK(enroll_parse_response(body, big, &res, err, sizeof err) == -1 && strstr(err, "larger"),
	      "body over 64 KiB refused (%s)", err);
	body[1] = '\0';
	CHECK(enroll_parse_response(body, 2, &res, err, sizeof err) == -1 && strstr(err, "NUL"),
	      "raw NUL byte refused (%s)", err);
	free(body);
}

/* Renders the entry, writes it with atomic_file_write, loads it with the
 * daemon's credential_load. Returns true when username and password come
 * back unchanged. */
static bool round_trips(const struct enroll_entry *e, const char *name)
{
	char path[PATH_MAX], buf[ENROLL_CRED_FILE_MAX];
	struct credential cred;
	struct diag diag = {.out = NULL};
	snprintf(path, sizeof path, "%s/%s.cred", tmpdir, name);
	int len = enroll_render_credential(e, buf, sizeof buf);
	if (len < 0 || atomic_file_write(path, buf, (size_t)len, 0600) < 0) {
		CHECK(0, "%s: render/write failed", name);
		return false;
	}
	bool ok = credential_load(&cred, path, e->site ? NULL : e->tenant, "test.conf", 1, &diag) == 0 &&
		  strcmp(cred.username, e->username) == 0 && strcmp(cred.password, e->password) == 0 &&
		  cred.site == e->site;
	credential_wipe(&cred);
	unlink(path);
	return ok;
}

static void test_accepted_values_round_trip(void)
{
	char longest[ENROLL_VALUE_MAX + 1];
	memset(longest, 'L', ENROLL_VALUE_MAX);
	longest[ENROLL_VALUE_MAX] = '\0';
	const char *values[] = {
		"p", "a=b", "a:b", "a;b", "a#b", "[section]", "\"quoted\"", "back\\slash", "p\xc3\xa9", "in ner",
		"x;y#z=", longest,
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		/* Each accepted value must come back through the daemon's reader. */
		struct strbuf body;
		strbuf_init(&body);
		strbuf_puts(&body, "{\"v\":1,\"credentials\":[{\"tenant\":\"acme\",\"username\":");
		json_append_cstring(&body, values[i]);
		strbuf_puts(&body, ",\"password\":");
		json_append_cstring(&body, values[i]);
		strbuf_puts(&body, "},{\"scope\":\"site\",\"username\":\"s\",\"password\":");
		json_append_cstring(&body, values[i]);
		strbuf_puts(&body, "}]}");
		struct enroll_result res;
		char err[ENROLL_ERROR_MAX] = "";
		int rc = parse(body.buf, &res, err);
		CHECK(rc == 0, "value #%zu accepted (%s)", i, err);
		if (rc == 0) {
			CHECK(round_trips(&res.entries[0], "acme"), "value #%zu round-trips (tenant file)", i);
			CHECK(round_trips(&res.entries[1], "site"), "value #%zu round-trips (site file)", i);
		}
		enroll_result_free(&res);
		strbuf_free(&body);
	}
	/* The refused shapes really would be read back differently: the rule
	 * is needed, not just cautious. */
	const char *mangled[] = {"p ;comment", "#p", " p", "p "};
	for (size_t i = 0; i < sizeof mangled / sizeof mangled[0]; i++) {
		struct enroll_entry e = {.site = false};
		str_copy(e.tenant, sizeof e.tenant, "acme");
		str_copy(e.username, sizeof e.username, "u");
		str_copy(e.password, sizeof e.password, mangled[i]);
		CHECK(!round_trips(&e, "mangled"), "'%s' would not survive the INI reader", mangled[i]);
	}
	/* One byte more than ENROLL_VALUE_MAX no longer fits the reader's line. */
	char file[ENROLL_CRED_FILE_MAX + 64];
	char over[ENROLL_VALUE_MAX + 2];
	memset(over, 'L', ENROLL_VALUE_MAX + 1);
	over[ENROLL_VALUE_MAX + 1] = '\0';
	int n = snprintf(file, sizeof file, "scope = site\nusername = u\npassword = %s\n", over);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/over.cred", tmpdir);
	struct credential cred;
	struct diag diag = {.out = NULL};
	CHECK(atomic_file_write(path, file, (size_t)n, 0600) == 0, "write over-long file");
	CHECK(credential_load(&cred, path, NULL, "test.conf", 1, &diag) == -1,
	      "a 188-byte password is more than the credential reader takes: the cap is right");
	credential_wipe(&cred);
	unlink(path);
}

static void test_request_body(void)
{
	char buf[ENROLL_TOKEN_MAX * 2 + 128];
	int n = enroll_request_body(buf, sizeof buf, "gw-1", "t\"o\\k!~");
	CHECK(n > 0 && (size_t)n == strlen(buf), "request body built");
	cJSON *j = cJSON_Parse(buf);
	CHECK(j != NULL, "request body is JSON: %s", buf);
	if (j) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "v");
		const cJSON *gw = cJSON_GetObjectItemCaseSensitive(j, "gateway");
		const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "token");
		CHECK(cJSON_IsNumber(v) && v->valuedouble == 1, "v is 1");
		CHECK(cJSON_IsString(gw) && strcmp(gw->valuestring, "gw-1") == 0, "gateway");
		CHECK(cJSON_IsString(tok) && strcmp(tok->valuestring, "t\"o\\k!~") == 0, "token escaped right");
		CHECK(cJSON_GetArraySize(j) == 3, "exactly three members");
		cJSON_Delete(j);
	}
	CHECK(enroll_request_body(buf, sizeof buf, "gw 1", "t") == -1, "invalid gateway id refused");
	CHECK(enroll_request_body(buf, sizeof buf, "gw", "a b") == -1, "token with a space refused");
	CHECK(enroll_request_body(buf, sizeof buf, "gw", "") == -1, "empty token refused");
	CHECK(enroll_request_body(buf, 20, "gw", "tttttttttttttttttttt") == -1, "small buffer refused");
	char token[ENROLL_TOKEN_MAX + 2];
	memset(token, '"', sizeof token);
	token[ENROLL_TOKEN_MAX] = '\0';
	CHECK(enroll_token_valid(token), "token of the maximum length is valid");
	CHECK(enroll_request_body(buf, sizeof buf, "gw", token) > 0, "longest token, all escaped, fits");
	token[ENROLL_TOKEN_MAX] = 'x';
	token[ENROLL_TOKEN_MAX + 1] = '\0';
	CHECK(!enroll_token_valid(token), "token over the maximum refused");
	CHECK(!enroll_token_valid("t\x7f"), "DEL in token refused");
	CHECK(enroll_url_is_https("HTTPS://x") && !enroll_url_is_https("http://x") &&
	      !enroll_url_is_https(" https://x"), "https check");
}

static void test_excerpt(void)
{
	char out[32];
	enroll_excerpt("ab\ncd\033[1m", 9, NULL, out, sizeof out, 80);
	CHECK(strcmp(out, "ab?cd?[1m") == 0, "control bytes shown as '?': %s", out);
	enroll_excerpt("0123456789", 10, NULL, out, sizeof out, 4);
	CHECK(strcmp(out, "0123...") == 0, "cut with ...: %s", out);
	enroll_excerpt("error: bad token tok-123", 24, "tok-123", out, sizeof out, 80);
	CHECK(out[0] == '\0', "excerpt of a body holding the secret is empty");
	enroll_excerpt("0123456789012345678901234567890123456789", 40, NULL, out, 8, 80);
	CHECK(strlen(out) < 8, "output buffer respected");
}

static void test_atomic_file(void)
{
	char path[PATH_MAX], link_target[PATH_MAX];
	struct stat st1, st2;
	snprintf(path, sizeof path, "%s/file", tmpdir);
	mode_t old_umask = umask(0);
	CHECK(atomic_file_write(path, "one\n", 4, 0600) == 0, "write new file");
	umask(old_umask);
	CHECK(stat(path, &st1) == 0 && (st1.st_mode & 07777) == 0600, "mode exactly 0600 under umask 0");
	old_umask = umask(0777);
	CHECK(atomic_file_write(path, "two!\n", 5, 0600) == 0, "replace file");
	umask(old_umask);
	CHECK(stat(path, &st2) == 0 && (st2.st_mode & 07777) == 0600, "mode exactly 0600 under umask 0777");
	CHECK(st1.st_ino != st2.st_ino, "replacement is a new inode renamed into place");
	FILE *f = fopen(path, "r");
	char buf[16] = "";
	if (f) {
		CHECK(fgets(buf, sizeof buf, f) && strcmp(buf, "two!\n") == 0, "new content complete");
		fclose(f);
	}

	/* Prepared but aborted: target unchanged, no temporary file left. */
	struct atomic_file af;
	CHECK(atomic_file_prepare(&af, path, "three\n", 6, 0600) == 0, "prepare");
	CHECK(access(af.tmp_path, F_OK) == 0, "temporary file exists while prepared");
	atomic_file_abort(&af);
	CHECK(stat(path, &st1) == 0 && st1.st_ino == st2.st_ino && st1.st_size == 5, "abort leaves the target");

	/* A symlink at the target is replaced, never written through. */
	snprintf(link_target, sizeof link_target, "%s/victim", tmpdir);
	CHECK(atomic_file_write(link_target, "victim\n", 7, 0644) == 0, "victim written 0644");
	CHECK(stat(link_target, &st1) == 0 && (st1.st_mode & 07777) == 0644, "other modes are honoured");
	snprintf(path, sizeof path, "%s/link", tmpdir);
	CHECK(symlink(link_target, path) == 0, "symlink");
	CHECK(atomic_file_write(path, "new\n", 4, 0600) == 0, "write over symlink");
	CHECK(lstat(path, &st1) == 0 && S_ISREG(st1.st_mode), "symlink replaced by a regular file");
	CHECK(stat(link_target, &st2) == 0 && st2.st_size == 7, "symlink target untouched");

	/* Missing directory: error, errno kept, nothing created. */
	snprintf(path, sizeof path, "%s/missing/file", tmpdir);
	errno = 0;
	CHECK(atomic_file_write(path, "x", 1, 0600) == -1 && errno == ENOENT, "missing directory: ENOENT");
	CHECK(atomic_file_prepare(&af, path, "x", 1, 0600) == -1 && af.tmp_path[0] == '\0',
	      "failed prepare leaves no temporary file");
}

static void remove_tmpdir(void)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_valid_response();
	test_refused_responses();
	test_reasons_never_hold_values();
	test_limits();
	test_accepted_values_round_trip();
	test_request_body();
	test_excerpt();
	test_atomic_file();
	remove_tmpdir();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("enroll parse: all checks passed\n");
	return 0;
}
