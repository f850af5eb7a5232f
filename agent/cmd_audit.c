/* dockside audit verify|list: the hash-chained audit log of admin actions
 * (quarantine, replay, tail of tenant data, config reload). verify walks
 * the chain and names the first entry that does not match. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/commands.h"
#include "agent/control_client.h"

#define LIST_DEFAULT 20
#define LIST_MAX 100000

static void audit_usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] audit verify [--json]\n"
		     "       dockside [-c FILE] audit list [-n N] [--json]\n\n"
		     "The audit log records every admin action (quarantine assign/drop, replay,\n"
		     "tail of tenant data, config reload) with uid, tenant, time and detail; each\n"
		     "entry's SHA-256 hash covers the previous entry's hash.\n"
		     "  verify     check the whole chain; exit 1 naming the first broken entry\n"
		     "  list       show the last N entries\n\n"
		     "options:\n"
		     "  -n N       entries to list (default %d)\n"
		     "  --json     print the daemon's JSON answer unchanged\n"
		     "  -c FILE    configuration file (names the control socket)\n"
		     "  -h, --help this help\n\n"
		     "exit status: 0 ok (verify: chain intact), 1 failure (verify: chain broken;\n"
		     "daemon not running, access denied), 2 usage error\n",
		     LIST_DEFAULT);
}

static void print_entries(const cJSON *resp)
{
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(resp, "entries");
	if (cJSON_GetArraySize(rows) == 0) {
		printf("audit log is empty\n");
		return;
	}
	printf("%6s %-24s %6s %-16s %-18s %s\n", "ID", "TIME", "UID", "TENANT", "ACTION", "DETAIL");
	const cJSON *e;
	cJSON_ArrayForEach(e, rows)
		printf("%6.0f %-24s %6.0f %-16s %-18s %s\n", json_number(e, "id", 0), json_string(e, "ts", "-"),
		       json_number(e, "uid", -1), json_string(e, "tenant", "-"), json_string(e, "action", "?"),
		       json_string(e, "detail", ""));
}

int cmd_audit(const char *config_path, int argc, char **argv)
{
	bool json = false;
	int64_t n = LIST_DEFAULT;
	int opt_status = parse_listing_options(argc, argv, "audit", audit_usage, &json, &n, LIST_MAX);
	if (opt_status >= 0)
		return opt_status;
	const char *action = optind < argc ? argv[optind] : NULL;
	bool verify = action && strcmp(action, "verify") == 0;
	bool list = action && strcmp(action, "list") == 0;
	if ((!verify && !list) || argc - optind != 1) {
		fprintf(stderr, "dockside: audit: %s\n",
			!action ? "an action is required (verify or list)"
			: (!verify && !list) ? "unknown action"
					     : "unexpected argument");
		audit_usage(stderr);
		return EXIT_USAGE;
	}
	cJSON *req = control_request_new(verify ? "audit-verify" : "audit-list");
	cJSON *resp = NULL;
	char *raw = NULL;
	if (!req)
		return 1;
	if (list && !cJSON_AddNumberToObject(req, "n", (double)n)) {
		cJSON_Delete(req);
		return 1;
	}
	int rc = control_call(config_path, "audit", req, &resp, &raw);
	cJSON_Delete(req);
	if (rc != 0)
		return 1;
	int status = 0;
	if (verify) {
		bool intact = json_bool(resp, "intact");
		if (json)
			print_raw(raw);
		else if (intact)
			printf("audit log intact: %.0f entries\n", json_number(resp, "entries", 0));
		else
			printf("audit log BROKEN at entry %.0f of %.0f: its hash does not match the chain "
			       "(this entry, or the one before it, was changed, removed or inserted)\n",
			       json_number(resp, "first_broken_id", 0), json_number(resp, "entries", 0));
		status = intact ? 0 : 1;
	} else if (json) {
		print_raw(raw);
	} else {
		print_entries(resp);
	}
	cJSON_Delete(resp);
	free(raw);
	return status;
}
