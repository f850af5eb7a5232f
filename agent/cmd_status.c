/* dockside status: devices, tenants, the site session, store and ingest,
 * from the running daemon. --json prints the daemon's answer unchanged. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/commands.h"
#include "agent/config.h"
#include "agent/control_client.h"

static void status_usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] status [--json]\n\n"
		     "Shows the running daemon's devices (state, last reading, errors, counters),\n"
		     "tenants (connection, backlog, oldest unacknowledged event, seq watermarks,\n"
		     "refusals, quarantine, alarms), the site session, the store and ingest.\n\n"
		     "options:\n"
		     "  -c FILE    configuration file (names the control socket)\n"
		     "  --json     print the daemon's JSON answer unchanged\n"
		     "  -h, --help this help\n\n"
		     "exit status: 0 ok, 1 failure (daemon not running, access denied), 2 usage error\n");
}

/* Times are shown as the daemon sends them (ISO 8601, UTC); null is "-". */
static const char *time_or_dash(const cJSON *o, const char *name)
{
	return json_string(o, name, "-");
}

static void print_devices(const cJSON *devices)
{
	int n = cJSON_GetArraySize(devices);
	printf("DEVICES (%d)\n", n);
	if (n == 0)
		return;
	printf("  %-20s %-28s %-9s %-10s %-13s %-24s %-24s %9s %7s\n", "NAME", "PROFILE", "TRANSPORT", "BINDING",
	       "STATE", "CONNECTED SINCE", "LAST READING", "READINGS", "ERRORS");
	const cJSON *dev;
	cJSON_ArrayForEach(dev, devices)
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(dev, "counters");
		double errors = json_number(c, "read_errors", 0) + json_number(c, "decode_errors", 0) +
				json_number(c, "bad_reports", 0) + json_number(c, "open_failures", 0);
		printf("  %-20s %-28s %-9s %-10s %-13s %-24s %-24s %9.0f %7.0f\n", json_string(dev, "name", "?"),
		       json_string(dev, "profile", "?"), json_string(dev, "transport", "?"),
		       json_string(dev, "binding", "?"), json_string(dev, "state", "?"),
		       time_or_dash(dev, "connected_since"), time_or_dash(dev, "last_reading"),
		       json_number(c, "readings", 0), errors);
		const char *err = json_string(dev, "last_error", NULL);
		if (err)
			printf("  %-20s last error: %s\n", "", err);
	}
	printf("  counters:\n");
	cJSON_ArrayForEach(dev, devices)
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(dev, "counters");
		const cJSON *item;
		bool any = false;
		printf("    %s:", json_string(dev, "name", "?"));
		cJSON_ArrayForEach(item, c)
		{
			if (cJSON_IsNumber(item) && item->valuedouble != 0) {
				printf(" %s=%.0f", item->string, item->valuedouble);
				any = true;
			}
		}
		printf("%s\n", any ? "" : " (all zero)");
	}
}

static void print_session_header(void)
{
	printf("  %-20s %-13s %8s %8s %9s %9s %7s %-24s %8s %9s %5s %5s %s\n", "NAME", "STATE", "BACKLOG", "OLDEST",
	       "LAST SEQ", "ACKED", "ACK/S", "LAST ACK", "INFLIGHT", "REFUSED", "QUAR", "ISOL", "ALARM");
}

static void print_session(const cJSON *s)
{
	char oldest[32], inflight[32], refused[32], alarm[32];
	format_duration(json_number(s, "oldest_unacked_age_s", 0), oldest, sizeof oldest);
	snprintf(inflight, sizeof inflight, "%.0f/%.0f", json_number(s, "inflight", 0), json_number(s, "window", 0));
	snprintf(refused, sizeof refused, "%.0f/%.0f", json_number(s, "refusals_transient", 0),
		 json_number(s, "refusals_permanent", 0));
	if (json_bool(s, "alarm"))
		snprintf(alarm, sizeof alarm, "YES (0x%02x)", (unsigned)json_number(s, "last_refusal_reason", 0));
	else
		snprintf(alarm, sizeof alarm, "-");
	printf("  %-20s %-13s %8.0f %8s %9.0f %9.0f %7.0f %-24s %8s %9s %5.0f %5.0f %s\n", json_string(s, "name", "?"),
	       json_string(s, "state", "?"), json_number(s, "backlog", 0), oldest, json_number(s, "last_seq", 0),
	       json_number(s, "acked_seq", 0), json_number(s, "ack_rate", 0), time_or_dash(s, "last_ack"), inflight,
	       refused,
	       json_number(s, "quarantined", 0), json_number(s, "isolation_refusals", 0), alarm);
	const char *err = json_string(s, "last_error", NULL);
	if (err)
		printf("  %-20s last error: %s\n", "", err);
}

static void print_status(const cJSON *st)
{
	char uptime[32];
	format_duration(json_number(st, "uptime_s", 0), uptime, sizeof uptime);
	printf("dockside %s   gateway %s   site %s   up %s (since %s)\n\n", json_string(st, "version", "?"),
	       json_string(st, "gateway_id", "?"), json_string(st, "site", "?"), uptime,
	       json_string(st, "started", "?"));
	print_devices(cJSON_GetObjectItemCaseSensitive(st, "devices"));

	const cJSON *tenants = cJSON_GetObjectItemCaseSensitive(st, "tenants");
	printf("\nTENANTS (%d)   REFUSED = transient/permanent broker refusals, QUAR = quarantined,\n"
	       "              ISOL = isolation refusals by the agent\n",
	       cJSON_GetArraySize(tenants));
	print_session_header();
	const cJSON *t;
	cJSON_ArrayForEach(t, tenants)
		print_session(t);

	const cJSON *site = cJSON_GetObjectItemCaseSensitive(st, "site_session");
	printf("\nSITE SESSION\n");
	if (cJSON_IsObject(site)) {
		print_session_header();
		print_session(site);
	} else {
		printf("  none\n");
	}

	const cJSON *store = cJSON_GetObjectItemCaseSensitive(st, "store");
	printf("\nSTORE    %s: %.0f bytes; %.0f event(s) in quarantine\n", json_string(store, "path", "?"),
	       json_number(store, "size_bytes", 0), json_number(store, "quarantine_count", 0));
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(st, "ingest");
	printf("INGEST   committed %.0f (%.0f/s in %.0f commits/s), quarantined %.0f, refused by quota %.0f,"
	       " dropped (store full) %.0f, queued %.0f; store full: %s\n",
	       json_number(in, "committed", 0), json_number(in, "commit_rate", 0),
	       json_number(in, "commits_per_second", 0), json_number(in, "quarantined", 0), json_number(in, "refused_quota", 0),
	       json_number(in, "dropped_store_full", 0), json_number(in, "queued", 0),
	       json_bool(in, "store_full") ? "YES" : "no");
	const cJSON *ctl = cJSON_GetObjectItemCaseSensitive(st, "control");
	printf("CONTROL  requests %.0f, errors %.0f, refused clients %.0f\n", json_number(ctl, "requests", 0),
	       json_number(ctl, "errors", 0), json_number(ctl, "refused", 0));
}

int cmd_status(const char *config_path, int argc, char **argv)
{
	bool json = false;
	int opt_status = parse_listing_options(argc, argv, "status", status_usage, &json, NULL, 0);
	if (opt_status >= 0)
		return opt_status;
	if (optind < argc) {
		fprintf(stderr, "dockside: status: unexpected argument '%s'\n", argv[optind]);
		status_usage(stderr);
		return EXIT_USAGE;
	}
	cJSON *req = control_request_new("status");
	cJSON *resp = NULL;
	char *raw = NULL;
	if (!req)
		return 1;
	int rc = control_call(config_path, "status", req, &resp, &raw);
	cJSON_Delete(req);
	if (rc != 0)
		return 1;
	if (json)
		print_raw(raw);
	else
		print_status(resp);
	cJSON_Delete(resp);
	free(raw);
	return 0;
}
