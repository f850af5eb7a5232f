/* Enrollment protocol, the HTTPS half: one POST with libcurl, https only,
 * certificate and host name verified, no redirects, bounded in time and
 * in response size. */
#include "sync/enroll.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Collects the body into a buffer allocated once at its maximum size, so
 * no reallocation leaves copies of secrets behind. */
struct body_sink {
	char *buf;       /* ENROLL_RESPONSE_MAX + 1 bytes */
	size_t len;
	bool too_large;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct body_sink *sink = user;
	size_t n = size * nmemb;
	if (n > ENROLL_RESPONSE_MAX - sink->len) {
		sink->too_large = true;
		return 0; /* makes curl abort with CURLE_WRITE_ERROR */
	}
	memcpy(sink->buf + sink->len, data, n);
	sink->len += n;
	sink->buf[sink->len] = '\0';
	return n;
}

bool enroll_url_is_https(const char *url) { return strncasecmp(url, "https://", 8) == 0; }

int enroll_fetch(const struct enroll_request *req, struct enroll_response *resp, char *err, size_t errsize)
{
	char request[ENROLL_TOKEN_MAX * 2 + 128];
	char curl_err[CURL_ERROR_SIZE] = "";
	struct body_sink sink = {0};
	struct curl_slist *headers = NULL;
	CURL *curl = NULL;
	int rc = -1;

	memset(resp, 0, sizeof *resp);
	if (!enroll_url_is_https(req->url)) {
		snprintf(err, errsize, "only https:// URLs are accepted");
		goto cleanup;
	}
	int body_len = enroll_request_body(request, sizeof request, req->gateway_id, req->token);
	if (body_len < 0) {
		snprintf(err, errsize, "invalid gateway id or token");
		goto cleanup;
	}
	if (!(sink.buf = malloc(ENROLL_RESPONSE_MAX + 1))) {
		snprintf(err, errsize, "out of memory");
		goto cleanup;
	}
	sink.buf[0] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(curl = curl_easy_init())) {
		snprintf(err, errsize, "cannot initialise libcurl");
		goto cleanup;
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	if (headers)
		headers = curl_slist_append(headers, "Accept: application/json");
	if (!headers) {
		snprintf(err, errsize, "out of memory");
		goto cleanup;
	}
	bool set_ok = curl_easy_setopt(curl, CURLOPT_URL, req->url) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->total_timeout_ms) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_USERAGENT, "dockside/" DOCKSIDE_VERSION) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink) == CURLE_OK &&
		      curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err) == CURLE_OK &&
		      (!req->ca_file || curl_easy_setopt(curl, CURLOPT_CAINFO, req->ca_file) == CURLE_OK);
	if (!set_ok) {
		snprintf(err, errsize, "libcurl lacks a required option (https, TLS 1.2)");
		goto cleanup;
	}
	CURLcode res = curl_easy_perform(curl);
	if (sink.too_large) {
		snprintf(err, errsize, "response is larger than %d bytes: refused", ENROLL_RESPONSE_MAX);
		goto cleanup;
	}
	if (res != CURLE_OK) {
		/* curl's messages name the host and the TLS problem, never the body. */
		snprintf(err, errsize, "%s", curl_err[0] ? curl_err : curl_easy_strerror(res));
		goto cleanup;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->http_status);
	rc = 0;
cleanup:
	explicit_bzero(request, sizeof request);
	resp->body = sink.buf;
	resp->body_len = sink.len;
	if (curl)
		curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	return rc;
}

void enroll_response_free(struct enroll_response *resp)
{
	if (resp->body) {
		explicit_bzero(resp->body, resp->body_len);
		free(resp->body);
	}
	memset(resp, 0, sizeof *resp);
}
