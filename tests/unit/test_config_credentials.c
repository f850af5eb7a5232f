/* credential_load: valid password and cert/key files load; each problem in
 * a credential file is reported at CREDFILE:LINE (or at the config line
 * that names the file), and no password ever appears in a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sync/credentials.h"

#define SECRET "s3cret-never-printed"

static char tmpdir[] = "/tmp/dockside-test-cred-XXXXXX";
static int failures, cases;

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

/* Loads name (written from text) for expect_tenant; expects `want_line` in
 * the credential file (want_line > 0) or at dockside.conf:7 (want_line 0)
 * with needle; needle NULL = expects success. */
static void check(const char *name, const char *text, const char *expect_tenant, int want_line, const char *needle)
{
	cases++;
	char path[512];
	snprintf(path, sizeof path, "%s", write_file(name, text, 0600));
	char *out = NULL;
	size_t len = 0;
	struct diag diag = {.out = open_memstream(&out, &len)};
	struct credential cred;
	int rc = credential_load(&cred, path, expect_tenant, "dockside.conf", 7, &diag);
	fclose(diag.out);
	char prefix[600];
	if (want_line > 0)
		snprintf(prefix, sizeof prefix, "%s:%d: ", path, want_line);
	else
		snprintf(prefix, sizeof prefix, "dockside.conf:7: ");
	bool ok;
	if (!needle)
		ok = rc == 0 && diag.errors == 0;
	else
		ok = rc == -1 && strstr(out, prefix) == out && strstr(out, needle) && cred.password[0] == '\0';
	if (strstr(out, SECRET)) {
		fprintf(stderr, "FAIL %s: secret printed\n%s", name, out);
		failures++;
	}
	if (!ok) {
		fprintf(stderr, "FAIL %s: wanted %s%s (rc %d)\n--- got ---\n%s\n", name, prefix,
			needle ? needle : "success", rc, out);
		failures++;
	}
	credential_wipe(&cred);
	if (cred.password[0]) {
		fprintf(stderr, "FAIL %s: credential_wipe left the password\n", name);
		failures++;
	}
	free(out);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	check("ok.cred", "tenant = acme\nusername = acme-gw\npassword = " SECRET "\n", "acme", 0, NULL);
	check("site.cred", "# site login\nscope = site\nusername = gw\npassword = " SECRET "\n", NULL, 0, NULL);

	/* Loaded values, and a relative cert/key resolved against the file's dir. */
	cases++;
	write_file("client.pem", "cert\n", 0644);
	write_file("client.key", "key\n", 0600);
	char path[512];
	snprintf(path, sizeof path, "%s", write_file("tls.cred", "tenant = acme\nusername = u\ncert = client.pem\nkey = client.key\n", 0600));
	struct diag quiet = {.out = stderr};
	struct credential cred;
	char want_key[600];
	snprintf(want_key, sizeof want_key, "%s/client.key", tmpdir);
	if (credential_load(&cred, path, "acme", "c", 1, &quiet) != 0 || strcmp(cred.key, want_key) != 0 ||
	    strcmp(cred.username, "u") != 0 || strcmp(cred.tenant, "acme") != 0 || cred.site) {
		fprintf(stderr, "FAIL tls.cred: cert/key credential not loaded as expected (key %s)\n", cred.key);
		failures++;
	}

	check("unknown-key.cred", "tenant = acme\nusername = u\npasswd = " SECRET "\n", "acme", 3, "unknown key 'passwd'");
	check("section.cred", "tenant = acme\n[mqtt]\nusername = u\npassword = " SECRET "\n", "acme", 2, "unknown section [mqtt]");
	check("dup.cred", "tenant = acme\nusername = u\nusername = v\npassword = " SECRET "\n", "acme", 3, "duplicate key 'username'");
	check("both.cred", "tenant = acme\nusername = u\npassword = " SECRET "\ncert = client.pem\nkey = client.key\n", "acme", 5,
	      "both password and cert/key given");
	check("cert-only.cred", "tenant = acme\nusername = u\ncert = client.pem\n", "acme", 3, "cert without key");
	check("no-secret.cred", "tenant = acme\nusername = u\n", "acme", 0, "has neither password nor cert + key");
	check("no-user.cred", "tenant = acme\npassword = " SECRET "\n", "acme", 0, "has no username");
	check("no-owner.cred", "username = u\npassword = " SECRET "\n", "acme", 0, "says neither tenant = NAME nor scope = site");
	check("tenant-and-scope.cred", "tenant = acme\nscope = site\nusername = u\npassword = " SECRET "\n", "acme", 2,
	      "both tenant and scope given");
	check("mismatch.cred", "username = u\ntenant = globex\npassword = " SECRET "\n", "acme", 2,
	      "credential file says tenant globex, section is [tenant acme]");
	check("bad-tenant.cred", "tenant = Globex!\nusername = u\npassword = " SECRET "\n", "acme", 1, "is not a valid tenant id");
	check("bad-scope.cred", "scope = tenant\nusername = u\npassword = " SECRET "\n", NULL, 1, "scope 'tenant' is not a scope");
	check("syntax.cred", "tenant = acme\nusername = u\n" SECRET "\npassword = x\n", "acme", 3, "syntax error");
	write_file("open.key", "key\n", 0644);
	check("open-key.cred", "tenant = acme\nusername = u\ncert = client.pem\nkey = open.key\n", "acme", 4,
	      "key file");
	check("missing-cert.cred", "tenant = acme\nusername = u\ncert = none.pem\nkey = client.key\n", "acme", 3,
	      "cannot read cert file");
	char long_password[300];
	memset(long_password, 'x', sizeof long_password - 1);
	long_password[sizeof long_password - 1] = '\0';
	char text[600];
	snprintf(text, sizeof text, "tenant = acme\nusername = u\npassword = %.150s\n", long_password);
	check("long-ok.cred", text, "acme", 0, NULL);

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	printf("%d cases, %d failures\n", cases, failures);
	return failures ? 1 : 0;
}
