/* libFuzzer target: the enrollment response parser (sync/enroll.c) and
 * the credential file renderer, on hostile HTTPS response bodies. Besides
 * not crashing, an accepted response must only yield entries that render
 * to a three-line credential file, and a refusal must give a one-line
 * reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/enroll.h"

static void require(int cond)
{
	if (!cond)
		abort();
}

static void check_value(const char *s)
{
	size_t len = strlen(s);
	require(len >= 1 && len <= ENROLL_VALUE_MAX);
	for (size_t i = 0; i < len; i++)
		require((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
	require(s[0] != ' ' && s[len - 1] != ' ' && s[0] != ';' && s[0] != '#');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enroll_result res;
	char err[ENROLL_ERROR_MAX] = "";
	const char *body = (const char *)data;
	if (enroll_parse_response(body, size, &res, err, sizeof err) < 0) {
		require(err[0] != '\0' && !strchr(err, '\n'));
		require(res.entries == NULL && res.n_entries == 0);
		return 0;
	}
	require(res.n_entries >= 1 && res.n_entries <= ENROLL_ENTRIES_MAX);
	size_t sites = 0;
	for (size_t i = 0; i < res.n_entries; i++) {
		const struct enroll_entry *e = &res.entries[i];
		char file[ENROLL_CRED_FILE_MAX], name[DS_NAME_MAX + 8];
		sites += e->site;
		require(e->site ? e->tenant[0] == '\0' : tenant_id_valid(e->tenant));
		check_value(e->username);
		check_value(e->password);
		int n = enroll_render_credential(e, file, sizeof file);
		require(n > 0);
		size_t lines = 0;
		for (int k = 0; k < n; k++)
			lines += file[k] == '\n';
		require(lines == 3 && file[n - 1] == '\n');
		enroll_credential_file_name(e, name, sizeof name);
		require(!strchr(name, '/') && name[0] != '.');
		for (size_t j = 0; j < i; j++)
			require(e->site != res.entries[j].site || strcmp(e->tenant, res.entries[j].tenant) != 0);
	}
	require(sites <= 1);
	char excerpt[128];
	enroll_excerpt(body, size, NULL, excerpt, sizeof excerpt, 80);
	enroll_result_free(&res);
	return 0;
}
