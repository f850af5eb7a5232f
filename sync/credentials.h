/* Device credentials: one INI file per tenant plus one for the site.
 *
 *   tenant = acme        (or: scope = site)
 *   username = acme-gw-berlin-01
 *   password = ...       (or: cert = FILE and key = FILE)
 *
 * The file (and a key file) must be a regular file owned by the daemon's
 * user and not readable or writable by group or others. Secrets are held
 * only in struct credential and are never logged.
 */
#ifndef DOCKSIDE_CREDENTIALS_H
#define DOCKSIDE_CREDENTIALS_H

#include <limits.h>
#include <stdbool.h>

#include "agent/diag.h"
#include "agent/util.h"

struct credential {
	bool site;                          /* scope = site */
	char tenant[DS_NAME_MAX + 1];       /* tenant = ..., "" for site */
	char username[256];
	char password[256];                 /* secret; "" when cert is used */
	char cert[PATH_MAX];
	char key[PATH_MAX];
};

/* Loads `path`. expect_tenant is the tenant of the section that names the
 * file, or NULL for the [site] section. Problems go to diag as FILE:LINE
 * (the config's file/line where the path is given for unreadable files).
 * Returns 0 on success, -1 on any problem. */
int credential_load(struct credential *cred, const char *path, const char *expect_tenant,
		    const char *cfg_file, int cfg_line, struct diag *diag);

/* Overwrites the secret fields with zeros. */
void credential_wipe(struct credential *cred);

#endif
