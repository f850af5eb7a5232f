/* libFuzzer target: credential_load on any file content, written 0600 as
 * the current user so the owner and mode checks pass and the parser is
 * reached; loaded once for [tenant acme] and once for [site]. Beyond "no
 * crash, no sanitizer report": success and the error count agree, a loaded
 * credential is complete (one owner, a username, password or cert + key),
 * and a refused one holds no password. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/credentials.h"
#include "tests/fuzz/fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static void check_one(const char *path, const char *expect_tenant)
{
	struct diag diag = {.out = devnull};
	struct credential cred;
	int rc = credential_load(&cred, path, expect_tenant, "dockside.conf", 7, &diag);
	if ((rc == 0) != (diag.errors == 0))
		abort();
	if (rc == 0) {
		if (cred.site == (cred.tenant[0] != '\0'))
			abort(); /* exactly one owner */
		if (expect_tenant ? strcmp(cred.tenant, expect_tenant) != 0 : !cred.site)
			abort();
		if (!cred.username[0] || !(cred.password[0] || (cred.cert[0] && cred.key[0])))
			abort();
		if (cred.password[0] && (cred.cert[0] || cred.key[0]))
			abort();
	} else {
		for (size_t i = 0; i < sizeof cred.password; i++)
			if (cred.password[i])
				abort();
	}
	credential_wipe(&cred);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	const char *path = fuzz_write_file("credentials", "acme.cred", data, size, 0600);
	check_one(path, "acme");
	check_one(path, NULL);
	return 0;
}
