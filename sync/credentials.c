/* Credential files. The file is opened once and checked through its
 * descriptor (fstat), so what is checked is what is read. Values of
 * secret keys never reach a message. */
#include "sync/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ini_file.h"

enum cred_key { CK_TENANT, CK_SCOPE, CK_USERNAME, CK_PASSWORD, CK_CERT, CK_KEY, CK_COUNT };

static const char *const cred_key_names[CK_COUNT] = {"tenant", "scope", "username", "password", "cert", "key"};

struct cred_parse {
	struct credential *cred;
	const char *path;
	const char *dir;          /* relative cert/key paths are resolved against it */
	struct diag *diag;
	int key_line[CK_COUNT];
};

/* Opens `path` and checks it is a regular file of ours that group and
 * others can neither read nor write. Returns the descriptor or -1 (reported
 * at cfg_file:cfg_line, `what` says which file it is). */
static int open_private_file(const char *path, const char *what, const char *cfg_file, int cfg_line,
			     struct diag *diag)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		diag_error(diag, cfg_file, cfg_line, "cannot read %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		diag_error(diag, cfg_file, cfg_line, "cannot stat %s %s: %s", what, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		diag_error(diag, cfg_file, cfg_line, "%s %s is not a regular file", what, path);
		goto fail;
	}
	if (sb.st_uid != geteuid()) {
		diag_error(diag, cfg_file, cfg_line, "%s %s is owned by uid %u, not by the daemon's user (uid %u)",
			   what, path, (unsigned)sb.st_uid, (unsigned)geteuid());
		goto fail;
	}
	if (sb.st_mode & 077) {
		diag_error(diag, cfg_file, cfg_line,
			   "%s %s is accessible by group or others (mode %04o): run chmod 600 on it", what, path,
			   (unsigned)(sb.st_mode & 07777));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static bool is_secret(enum cred_key k) { return k == CK_PASSWORD; }

static int on_cred_line(void *user, const char *section, const char *name, const char *value, int line)
{
	struct cred_parse *cp = user;
	struct credential *c = cp->cred;
	if (!name) {
		diag_error(cp->diag, cp->path, line, "unknown section [%s]: credential files have no sections",
			   section);
		return 1;
	}
	if (*section) {
		diag_error(cp->diag, cp->path, line, "key '%s' inside section [%s]: credential files have no sections",
			   name, section);
		return 1;
	}
	int k = -1;
	for (int i = 0; i < CK_COUNT; i++)
		if (strcmp(name, cred_key_names[i]) == 0)
			k = i;
	if (k < 0) {
		diag_error(cp->diag, cp->path, line,
			   "unknown key '%s' (known: tenant, scope, username, password, cert, key)", name);
		return 1;
	}
	if (cp->key_line[k]) {
		diag_error(cp->diag, cp->path, line, "duplicate key '%s' (first at line %d)", name, cp->key_line[k]);
		return 1;
	}
	cp->key_line[k] = line;
	bool fits = true;
	switch (k) {
	case CK_TENANT:
		if (!tenant_id_valid(value)) {
			diag_error(cp->diag, cp->path, line,
				   "tenant '%s' is not a valid tenant id ([a-z0-9][a-z0-9-]{0,62})", value);
			break;
		}
		fits = str_copy(c->tenant, sizeof c->tenant, value);
		break;
	case CK_SCOPE:
		if (strcmp(value, "site") != 0)
			diag_error(cp->diag, cp->path, line, "scope '%s' is not a scope (only 'site')", value);
		else
			c->site = true;
		break;
	case CK_USERNAME:
		if (!*value)
			diag_error(cp->diag, cp->path, line, "username is empty");
		fits = str_copy(c->username, sizeof c->username, value);
		break;
	case CK_PASSWORD:
		if (!*value)
			diag_error(cp->diag, cp->path, line, "password is empty");
		fits = str_copy(c->password, sizeof c->password, value);
		break;
	case CK_CERT:
	case CK_KEY: {
		char *field = k == CK_CERT ? c->cert : c->key;
		size_t size = k == CK_CERT ? sizeof c->cert : sizeof c->key;
		if (!*value) {
			diag_error(cp->diag, cp->path, line, "%s is empty", name);
			break;
		}
		if (value[0] == '/') {
			fits = str_copy(field, size, value);
		} else {
			int n = snprintf(field, size, "%s/%s", cp->dir, value);
			fits = n >= 0 && (size_t)n < size;
		}
		break;
	}
	}
	if (!fits)
		diag_error(cp->diag, cp->path, line, "%s is too long%s", name,
			   is_secret(k) ? "" : " for its buffer");
	return 1;
}

/* Checks what the file says against the section that names it. */
static void check_credential_fields(struct cred_parse *cp, const char *expect_tenant, const char *cfg_file,
				    int cfg_line)
{
	struct credential *c = cp->cred;
	struct diag *diag = cp->diag;
	const int *kl = cp->key_line;
	if (kl[CK_TENANT] && kl[CK_SCOPE]) {
		diag_error(diag, cp->path, kl[CK_SCOPE] > kl[CK_TENANT] ? kl[CK_SCOPE] : kl[CK_TENANT],
			   "both tenant and scope given: a credential belongs to one tenant or to the site");
	} else if (!kl[CK_TENANT] && !kl[CK_SCOPE]) {
		diag_error(diag, cfg_file, cfg_line, "credential file %s says neither tenant = NAME nor scope = site",
			   cp->path);
	} else if (!expect_tenant && !c->site && kl[CK_TENANT]) {
		diag_error(diag, cp->path, kl[CK_TENANT],
			   "credential file says tenant %s, but [site] needs a site credential (scope = site)",
			   c->tenant);
	} else if (expect_tenant && c->site) {
		diag_error(diag, cp->path, kl[CK_SCOPE],
			   "credential file is a site credential (scope = site), section is [tenant %s]",
			   expect_tenant);
	} else if (expect_tenant && c->tenant[0] && strcmp(c->tenant, expect_tenant) != 0) {
		diag_error(diag, cp->path, kl[CK_TENANT], "credential file says tenant %s, section is [tenant %s]",
			   c->tenant, expect_tenant);
	}
	if (!kl[CK_USERNAME])
		diag_error(diag, cfg_file, cfg_line, "credential file %s has no username", cp->path);
	bool has_cert = kl[CK_CERT] || kl[CK_KEY];
	if (kl[CK_PASSWORD] && has_cert) {
		int later = kl[CK_CERT] > kl[CK_KEY] ? kl[CK_CERT] : kl[CK_KEY];
		diag_error(diag, cp->path, later > kl[CK_PASSWORD] ? later : kl[CK_PASSWORD],
			   "both password and cert/key given: use one of them");
	} else if (!kl[CK_PASSWORD] && !has_cert) {
		diag_error(diag, cfg_file, cfg_line, "credential file %s has neither password nor cert + key",
			   cp->path);
	} else if (has_cert && !(kl[CK_CERT] && kl[CK_KEY])) {
		diag_error(diag, cp->path, kl[CK_CERT] ? kl[CK_CERT] : kl[CK_KEY],
			   "%s without %s: a client certificate needs both cert and key",
			   kl[CK_CERT] ? "cert" : "key", kl[CK_CERT] ? "key" : "cert");
	}
}

int credential_load(struct credential *cred, const char *path, const char *expect_tenant,
		    const char *cfg_file, int cfg_line, struct diag *diag)
{
	int errors_before = diag->errors;
	char *path_copy = NULL;
	FILE *f = NULL;
	memset(cred, 0, sizeof *cred);
	int fd = open_private_file(path, "credential file", cfg_file, cfg_line, diag);
	if (fd < 0)
		goto cleanup;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		diag_error(diag, cfg_file, cfg_line, "cannot read credential file %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!(path_copy = strdup(path))) {
		diag_error(diag, cfg_file, cfg_line, "out of memory");
		goto cleanup;
	}
	struct cred_parse cp = {.cred = cred, .path = path, .dir = dirname(path_copy), .diag = diag};
	int bad_line = 0;
	int rc = ini_file_parse(f, on_cred_line, &cp, &bad_line);
	if (rc > 0)
		diag_error(diag, path, bad_line, "syntax error (expected key = value)");
	else if (rc < 0)
		diag_error(diag, path, bad_line, bad_line ? "line too long" : "cannot read credential file");
	check_credential_fields(&cp, expect_tenant, cfg_file, cfg_line);
	if (cp.key_line[CK_KEY] && cred->key[0]) {
		int key_fd = open_private_file(cred->key, "key file", path, cp.key_line[CK_KEY], diag);
		if (key_fd >= 0)
			close(key_fd);
	}
	if (cp.key_line[CK_CERT] && cred->cert[0] && access(cred->cert, R_OK) != 0)
		diag_error(diag, path, cp.key_line[CK_CERT], "cannot read cert file %s: %s", cred->cert,
			   strerror(errno));
cleanup:
	if (f)
		fclose(f);
	free(path_copy);
	if (diag->errors != errors_before) {
		credential_wipe(cred);
		return -1;
	}
	return 0;
}

void credential_wipe(struct credential *cred)
{
	explicit_bzero(cred->password, sizeof cred->password);
}
