/* dockside quarantine list|assign ID TENANT|drop ID: events whose tenant
 * could not be resolved wait in quarantine until an operator assigns them
 * to a tenant (they get a new seq on that tenant's stream and are
 * published) or drops them (counted). Both actions are audited. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/commands.h"
#include "agent/control_client.h"
#include "agent/util.h"

#define LIST_DEFAULT 1000
#define LIST_MAX 100000
#define ID_MAX 9007199254740991LL

static void quarantine_usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] quarantine list [-n N] [--json]\n"
		     "       dockside [-c FILE] quarantine assign ID TENANT\n"
		     "       dockside [-c FILE] quarantine drop ID\n\n"
		     "Events whose tenant could not be resolved (unknown or conflicting GS1\n"
		     "prefix, no GS1 data on a by-gs1 device, refused by the broker) wait in\n"
		     "quarantine and are never published until an operator acts:\n"
		     "  list           show quarantined events (id, time, device, reason, data)\n"
		     "  assign ID T    append event ID to tenant T's stream with a new seq; it is\n"
		     "                 published on T's connection and carries \"quarantine_id\"\n"
		     "  drop ID        delete event ID (counted as quarantine_dropped)\n"
		     "assign and drop are written to the audit log with your uid.\n\n"
		     "options:\n"
		     "  -n N       list at most N events (default %d)\n"
		     "  --json     print the daemon's JSON answer unchanged\n"
		     "  -c FILE    configuration file (names the control socket)\n"
		     "  -h, --help this help\n\n"
		     "exit status: 0 ok, 1 failure (unknown id or tenant, daemon not running,\n"
		     "access denied), 2 usage error\n",
		     LIST_DEFAULT);
}

static void print_quarantine(const cJSON *resp)
{
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(resp, "quarantine");
	double count = json_number(resp, "count", 0);
	printf("%.0f event(s) in quarantine%s\n", count, json_bool(resp, "truncated") ? " (list truncated)" : "");
	if (cJSON_GetArraySize(rows) == 0)
		return;
	printf("%8s %-24s %-20s %-10s %s\n", "ID", "TIME", "DEVICE", "KIND", "REASON / DATA");
	const cJSON *row;
	cJSON_ArrayForEach(row, rows)
	{
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(row, "event");
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");
		char *data_text = data ? cJSON_PrintUnformatted(data) : NULL;
		printf("%8.0f %-24s %-20s %-10s %s\n", json_number(row, "id", 0), json_string(row, "ts", "-"),
		       json_string(row, "device", "?"), json_string(ev, "kind", "?"), json_string(row, "reason", ""));
		if (json_string(row, "stream", NULL))
			printf("%8s %-24s refused on stream %s as seq %.0f\n", "", "", json_string(row, "stream", ""),
			       json_number(row, "orig_seq", 0));
		printf("%8s %-24s %s\n", "", "", data_text ? data_text : "{}");
		free(data_text);
	}
}

int cmd_quarantine(const char *config_path, int argc, char **argv)
{
	bool json = false;
	int64_t n = LIST_DEFAULT, id = 0;
	int opt_status = parse_listing_options(argc, argv, "quarantine", quarantine_usage, &json, &n, LIST_MAX);
	if (opt_status >= 0)
		return opt_status;
	int nargs = argc - optind;
	char **args = argv + optind;
	const char *action = nargs > 0 ? args[0] : NULL;
	const char *cmd = NULL;
	if (action && strcmp(action, "list") == 0 && nargs == 1) {
		cmd = "quarantine-list";
	} else if (action && strcmp(action, "assign") == 0 && nargs == 3) {
		cmd = "quarantine-assign";
	} else if (action && strcmp(action, "drop") == 0 && nargs == 2) {
		cmd = "quarantine-drop";
	} else {
		if (action && strcmp(action, "list") && strcmp(action, "assign") && strcmp(action, "drop"))
			fprintf(stderr, "dockside: quarantine: unknown action '%s'\n", action);
		else
			fprintf(stderr, "dockside: quarantine: %s\n",
				action ? "wrong number of arguments" : "an action is required");
		quarantine_usage(stderr);
		return EXIT_USAGE;
	}
	if (nargs >= 2 && !parse_count_arg(args[1], 1, ID_MAX, &id)) {
		fprintf(stderr, "dockside: quarantine: ID must be a positive number, not '%s'\n", args[1]);
		return EXIT_USAGE;
	}
	if (nargs == 3 && !tenant_id_valid(args[2])) {
		fprintf(stderr, "dockside: quarantine: '%s' is not a valid tenant id ([a-z0-9][a-z0-9-]{0,62})\n",
			args[2]);
		return EXIT_USAGE;
	}

	cJSON *req = control_request_new(cmd);
	cJSON *resp = NULL;
	char *raw = NULL;
	if (!req)
		return 1;
	bool ok = true;
	if (nargs == 1)
		ok = cJSON_AddNumberToObject(req, "n", (double)n) != NULL;
	if (nargs >= 2)
		ok = ok && cJSON_AddNumberToObject(req, "id", (double)id) != NULL;
	if (nargs == 3)
		ok = ok && cJSON_AddStringToObject(req, "tenant", args[2]) != NULL;
	if (!ok) {
		cJSON_Delete(req);
		fprintf(stderr, "dockside: quarantine: out of memory\n");
		return 1;
	}
	int rc = control_call(config_path, "quarantine", req, &resp, &raw);
	cJSON_Delete(req);
	if (rc != 0)
		return 1;
	if (json)
		print_raw(raw);
	else if (nargs == 1)
		print_quarantine(resp);
	else if (nargs == 3)
		printf("quarantined event %.0f assigned to tenant %s as seq %.0f\n", json_number(resp, "id", 0),
		       json_string(resp, "tenant", "?"), json_number(resp, "seq", 0));
	else
		printf("quarantined event %.0f dropped\n", json_number(resp, "id", 0));
	cJSON_Delete(resp);
	free(raw);
	return 0;
}
