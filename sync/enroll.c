/* Enrollment protocol, the pure half: request body, response validation,
 * credential file rendering. No I/O here, so the fuzzer can drive it. */
#include "sync/enroll.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static void set_error(char *err, size_t errsize, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_error(char *err, size_t errsize, const char *fmt, ...)
{
	if (!err || !errsize)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
}

bool enroll_token_valid(const char *token)
{
	size_t n = 0;
	for (const char *p = token; *p; p++, n++)
		if (*p <= 0x20 || *p >= 0x7f || n >= ENROLL_TOKEN_MAX)
			return false;
	return n > 0;
}

int enroll_request_body(char *buf, size_t size, const char *gateway_id, const char *token)
{
	if (!name_valid(gateway_id) || !enroll_token_valid(token))
		return -1;
	/* Both are printable ASCII; only '"' and '\' of the token need escaping. */
	int n = snprintf(buf, size, "{\"v\":%d,\"gateway\":\"%s\",\"token\":\"", ENROLL_PROTOCOL_VERSION,
			 gateway_id);
	if (n < 0 || (size_t)n >= size)
		return -1;
	size_t len = (size_t)n;
	for (const char *p = token; *p; p++) {
		if (len + 3 >= size)
			return -1;
		if (*p == '"' || *p == '\\')
			buf[len++] = '\\';
		buf[len++] = *p;
	}
	if (len + 3 > size)
		return -1;
	memcpy(buf + len, "\"}", 3);
	return (int)(len + 2);
}

/* cJSON turns the escape \u0000 into a NUL that silently ends the string;
 * such a body is refused rather than truncated. Scans string literals. */
static bool body_has_nul_escape(const char *body, size_t len)
{
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = body[i];
		if (!in_string) {
			in_string = c == '"';
		} else if (c == '"') {
			in_string = false;
		} else if (c == '\\') {
			if (i + 5 < len && body[i + 1] == 'u' && memcmp(body + i + 2, "0000", 4) == 0)
				return true;
			i++; /* skip the escaped character */
		}
	}
	return false;
}

/* Why a username or password cannot go into a credential file unchanged,
 * or NULL if it can. The INI reader trims whitespace, ends a value at ';'
 * or '#' after whitespace and reads one line, so those are refused rather
 * than stored as something else than the server sent. */
static const char *value_problem(const char *s)
{
	size_t len = strlen(s);
	if (len == 0)
		return "is empty";
	if (len > ENROLL_VALUE_MAX)
		return "is longer than " STRINGIFY(ENROLL_VALUE_MAX) " bytes";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return "contains a control character or line break";
		if ((c == ';' || c == '#') && (i == 0 || s[i - 1] == ' '))
			return "contains ';' or '#' at its start or after a space (a comment in the credential file)";
	}
	if (s[0] == ' ' || s[len - 1] == ' ')
		return "starts or ends with a space";
	if (utf8_invalid_bytes(s, len))
		return "is not valid UTF-8";
	return NULL;
}

void enroll_excerpt(const char *body, size_t len, const char *secret, char *out, size_t out_size,
		    size_t max_chars)
{
	if (!out_size)
		return;
	out[0] = '\0';
	if (!body)
		return;
	if (secret && *secret) {
		size_t sl = strlen(secret);
		for (size_t i = 0; i + sl <= len; i++)
			if (memcmp(body + i, secret, sl) == 0)
				return;
	}
	size_t n = 0;
	for (size_t i = 0; i < len && n < max_chars && n + 4 < out_size; i++) {
		unsigned char c = (unsigned char)body[i];
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < len && n + 4 <= out_size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Overwrites every string of the tree before it is freed: it held secrets. */
static void json_wipe_strings(cJSON *item)
{
	for (; item; item = item->next) {
		if (item->valuestring)
			explicit_bzero(item->valuestring, strlen(item->valuestring));
		json_wipe_strings(item->child);
	}
}

/* Member names come from the body: shown only as a short, sanitized excerpt. */
static void member_excerpt(const char *name, char *out, size_t size)
{
	enroll_excerpt(name, strlen(name), NULL, out, size, 32);
}

static const char *const entry_members[] = {"tenant", "scope", "username", "password"};
enum { EM_TENANT, EM_SCOPE, EM_USERNAME, EM_PASSWORD, EM_COUNT };

/* Validates one element of "credentials" into e. index is 1-based for
 * messages. Returns 0 or -1 with err set. */
static int parse_entry(const cJSON *obj, size_t index, struct enroll_entry *e, char *err, size_t errsize)
{
	const cJSON *member[EM_COUNT] = {0};
	char name[48];
	if (!cJSON_IsObject(obj)) {
		set_error(err, errsize, "credential %zu is not a JSON object", index);
		return -1;
	}
	for (const cJSON *m = obj->child; m; m = m->next) {
		int k = -1;
		for (int i = 0; i < EM_COUNT; i++)
			if (m->string && strcmp(m->string, entry_members[i]) == 0)
				k = i;
		member_excerpt(m->string ? m->string : "", name, sizeof name);
		if (k < 0) {
			set_error(err, errsize,
				  "credential %zu: unknown member \"%s\" (known: tenant, scope, username, password)",
				  index, name);
			return -1;
		}
		if (member[k]) {
			set_error(err, errsize, "credential %zu: member \"%s\" given twice", index, name);
			return -1;
		}
		if (!cJSON_IsString(m) || !m->valuestring) {
			set_error(err, errsize, "credential %zu: \"%s\" is not a string", index, name);
			return -1;
		}
		member[k] = m;
	}
	if (member[EM_TENANT] && member[EM_SCOPE]) {
		set_error(err, errsize, "credential %zu has both \"tenant\" and \"scope\"", index);
		return -1;
	}
	if (!member[EM_TENANT] && !member[EM_SCOPE]) {
		set_error(err, errsize, "credential %zu has neither \"tenant\" nor \"scope\"", index);
		return -1;
	}
	if (member[EM_SCOPE]) {
		if (strcmp(member[EM_SCOPE]->valuestring, "site") != 0) {
			set_error(err, errsize, "credential %zu: scope is not \"site\"", index);
			return -1;
		}
		e->site = true;
	} else {
		const char *t = member[EM_TENANT]->valuestring;
		if (!tenant_id_valid(t)) {
			member_excerpt(t, name, sizeof name);
			set_error(err, errsize,
				  "credential %zu: \"%s\" is not a valid tenant id ([a-z0-9][a-z0-9-]{0,62})", index,
				  name);
			return -1;
		}
		if (strcmp(t, "site") == 0) {
			/* Its file would be site.cred, the site credential's file. */
			set_error(err, errsize, "credential %zu: tenant id \"site\" clashes with the site credential's "
				  "file site.cred", index);
			return -1;
		}
		str_copy(e->tenant, sizeof e->tenant, t);
	}
	for (int k = EM_USERNAME; k <= EM_PASSWORD; k++) {
		if (!member[k]) {
			set_error(err, errsize, "credential %zu has no \"%s\"", index, entry_members[k]);
			return -1;
		}
		const char *problem = value_problem(member[k]->valuestring);
		if (problem) {
			set_error(err, errsize, "credential %zu: %s %s", index, entry_members[k], problem);
			return -1;
		}
	}
	str_copy(e->username, sizeof e->username, member[EM_USERNAME]->valuestring);
	str_copy(e->password, sizeof e->password, member[EM_PASSWORD]->valuestring);
	return 0;
}

/* Checks the set: one site credential at most, each tenant once. */
static int check_entry_set(const struct enroll_entry *entries, size_t n, char *err, size_t errsize)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (entries[i].site != entries[j].site || strcmp(entries[i].tenant, entries[j].tenant) != 0)
				continue;
			if (entries[i].site)
				set_error(err, errsize, "credentials %zu and %zu are both site credentials", j + 1,
					  i + 1);
			else
				set_error(err, errsize, "credentials %zu and %zu are both for tenant %s", j + 1, i + 1,
					  entries[i].tenant);
			return -1;
		}
	}
	return 0;
}

int enroll_parse_response(const char *body, size_t len, struct enroll_result *out, char *err, size_t errsize)
{
	cJSON *root = NULL;
	const cJSON *version = NULL, *creds = NULL;
	struct enroll_entry *entries = NULL;
	size_t n = 0;
	int count = 0;
	const char *end = NULL;
	char name[48];
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (len > ENROLL_RESPONSE_MAX) {
		set_error(err, errsize, "response is larger than %d bytes", ENROLL_RESPONSE_MAX);
		goto cleanup;
	}
	if (memchr(body, '\0', len) || body_has_nul_escape(body, len)) {
		set_error(err, errsize, "response contains a NUL character");
		goto cleanup;
	}
	root = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!root) {
		set_error(err, errsize, "response is not valid JSON");
		goto cleanup;
	}
	for (; end && end < body + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
			set_error(err, errsize, "response has data after the JSON value");
			goto cleanup;
		}
	}
	if (!cJSON_IsObject(root)) {
		set_error(err, errsize, "response is not a JSON object");
		goto cleanup;
	}
	for (const cJSON *m = root->child; m; m = m->next) {
		const cJSON **slot = NULL;
		if (m->string && strcmp(m->string, "v") == 0)
			slot = &version;
		else if (m->string && strcmp(m->string, "credentials") == 0)
			slot = &creds;
		member_excerpt(m->string ? m->string : "", name, sizeof name);
		if (!slot) {
			set_error(err, errsize, "response has an unknown member \"%s\" (known: v, credentials)", name);
			goto cleanup;
		}
		if (*slot) {
			set_error(err, errsize, "response has member \"%s\" twice", name);
			goto cleanup;
		}
		*slot = m;
	}
	if (!version || !cJSON_IsNumber(version) || version->valuedouble != ENROLL_PROTOCOL_VERSION) {
		set_error(err, errsize, "response is not protocol version %d (\"v\": %d missing or different)",
			  ENROLL_PROTOCOL_VERSION, ENROLL_PROTOCOL_VERSION);
		goto cleanup;
	}
	if (!creds || !cJSON_IsArray(creds)) {
		set_error(err, errsize, "response has no \"credentials\" array");
		goto cleanup;
	}
	count = cJSON_GetArraySize(creds);
	if (count <= 0) {
		set_error(err, errsize, "response holds no credentials");
		goto cleanup;
	}
	if (count > ENROLL_ENTRIES_MAX) {
		set_error(err, errsize, "response holds %d credentials, more than %d", count, ENROLL_ENTRIES_MAX);
		goto cleanup;
	}
	entries = calloc((size_t)count, sizeof *entries);
	if (!entries) {
		set_error(err, errsize, "out of memory");
		goto cleanup;
	}
	for (const cJSON *c = creds->child; c; c = c->next, n++)
		if (parse_entry(c, n + 1, &entries[n], err, errsize) < 0)
			goto cleanup;
	if (check_entry_set(entries, n, err, errsize) < 0)
		goto cleanup;
	out->entries = entries;
	out->n_entries = n;
	entries = NULL;
	rc = 0;
cleanup:
	if (entries) {
		explicit_bzero(entries, (size_t)count * sizeof *entries);
		free(entries);
	}
	if (root) {
		json_wipe_strings(root);
		cJSON_Delete(root);
	}
	return rc;
}

void enroll_result_free(struct enroll_result *r)
{
	if (r->entries) {
		explicit_bzero(r->entries, r->n_entries * sizeof *r->entries);
		free(r->entries);
	}
	r->entries = NULL;
	r->n_entries = 0;
}

int enroll_render_credential(const struct enroll_entry *e, char *buf, size_t size)
{
	int n;
	if (e->site)
		n = snprintf(buf, size, "scope = site\nusername = %s\npassword = %s\n", e->username, e->password);
	else
		n = snprintf(buf, size, "tenant = %s\nusername = %s\npassword = %s\n", e->tenant, e->username,
			     e->password);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

void enroll_credential_file_name(const struct enroll_entry *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s.cred", e->site ? "site" : e->tenant);
}
