/* Enrollment: a gateway fetches its tenants' MQTT credentials from the
 * provisioning service over HTTPS (docs/enroll.md has the protocol).
 *
 * This header has two halves. The pure half (sync/enroll.c) builds the
 * request body, parses and validates the response and renders credential
 * files; it needs only cJSON and agent/util.c, so it can be unit-tested
 * and fuzzed alone. The HTTPS half (sync/enroll_fetch.c) talks libcurl.
 *
 * The response is untrusted: everything is checked before anything is
 * used, and no message ever contains a password or the token.
 */
#ifndef DOCKSIDE_ENROLL_H
#define DOCKSIDE_ENROLL_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/util.h"

#define ENROLL_PROTOCOL_VERSION 1
#define ENROLL_RESPONSE_MAX (64 * 1024)  /* bytes of response body accepted */
#define ENROLL_ENTRIES_MAX 256           /* credentials in one response */
#define ENROLL_TOKEN_MAX 1024            /* enrollment token: printable ASCII, no space */
/* Longest username or password: the credential file line "password = X\n"
 * must fit the 199 characters the packaged inih reads per line. */
#define ENROLL_VALUE_MAX 187
#define ENROLL_ERROR_MAX 256             /* size of error message buffers */
/* Longest credential file enroll_render_credential produces. */
#define ENROLL_CRED_FILE_MAX (3 * (ENROLL_VALUE_MAX + 16))

/* One credential of the response: a tenant's or the site's. */
struct enroll_entry {
	bool site;                          /* "scope": "site" */
	char tenant[DS_NAME_MAX + 1];       /* "" for the site */
	char username[ENROLL_VALUE_MAX + 1];
	char password[ENROLL_VALUE_MAX + 1]; /* secret */
};

/* A validated response. Entries are in response order. */
struct enroll_result {
	struct enroll_entry *entries;       /* owned; free with enroll_result_free */
	size_t n_entries;
};

/* True for a token the protocol accepts: 1..ENROLL_TOKEN_MAX printable
 * ASCII characters other than space. */
bool enroll_token_valid(const char *token);

/* Writes the request body {"v":1,"gateway":GW,"token":TOKEN} into buf.
 * gateway_id must satisfy name_valid and token enroll_token_valid.
 * Returns the length, or -1 when the arguments are invalid or buf is too
 * small. The buffer then holds the token: wipe it after use. */
int enroll_request_body(char *buf, size_t size, const char *gateway_id, const char *token);

/* Parses and validates a response body of `len` bytes (need not be
 * NUL-terminated). On success fills *out (caller frees with
 * enroll_result_free) and returns 0. On any problem returns -1, leaves
 * *out empty and writes a one-line reason to err; the reason never holds
 * a username or password taken from the body. */
int enroll_parse_response(const char *body, size_t len, struct enroll_result *out, char *err, size_t errsize);

/* Wipes the secrets and frees the entries; *r is empty afterwards. */
void enroll_result_free(struct enroll_result *r);

/* Renders the credential file for one entry in the format of
 * sync/credentials.h into buf (at least ENROLL_CRED_FILE_MAX bytes).
 * Returns the length, or -1 if buf is too small. buf holds the password
 * afterwards: wipe it after use. */
int enroll_render_credential(const struct enroll_entry *e, char *buf, size_t size);

/* The file name an entry is written to: "TENANT.cred" or "site.cred". */
void enroll_credential_file_name(const struct enroll_entry *e, char *buf, size_t size);

/* Makes a short excerpt of an untrusted body fit for a terminal: at most
 * max_chars printable ASCII characters, anything else shown as '?', "..."
 * appended when cut. Empty when the body contains `secret` (may be NULL). */
void enroll_excerpt(const char *body, size_t len, const char *secret, char *out, size_t out_size,
		    size_t max_chars);

/* Parameters of one enrollment request. */
struct enroll_request {
	const char *url;          /* https:// only */
	const char *gateway_id;
	const char *token;        /* secret */
	const char *ca_file;      /* NULL: the system's trust store */
	long connect_timeout_ms;
	long total_timeout_ms;
};

/* What the server answered. body holds at most ENROLL_RESPONSE_MAX bytes
 * plus a terminating NUL; it may hold secrets, so it is wiped by
 * enroll_response_free. */
struct enroll_response {
	long http_status;
	char *body;
	size_t body_len;
};

/* True if url starts with https:// (any case). */
bool enroll_url_is_https(const char *url);

/* POSTs the request. Returns 0 when an HTTP answer of at most
 * ENROLL_RESPONSE_MAX bytes arrived (whatever its status), -1 otherwise
 * with a reason in err (connection, TLS, timeout, oversize body).
 * Caller frees resp with enroll_response_free in both cases. */
int enroll_fetch(const struct enroll_request *req, struct enroll_response *resp, char *err, size_t errsize);

void enroll_response_free(struct enroll_response *resp);

#endif
