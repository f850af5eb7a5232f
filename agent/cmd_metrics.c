/* dockside metrics: the running daemon's metrics in the Prometheus text
 * exposition format (families listed in docs/metrics.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/commands.h"
#include "agent/control_client.h"

static void metrics_usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] metrics\n\n"
		     "Prints the running daemon's metrics in the Prometheus text format\n"
		     "(per tenant: backlog, oldest event age, committed/published/acked events,\n"
		     "refusals; per device: state and counters; store and ingest). See\n"
		     "docs/metrics.md. For a scrape endpoint, run it from a textfile collector.\n\n"
		     "options:\n"
		     "  -c FILE    configuration file (names the control socket)\n"
		     "  -h, --help this help\n\n"
		     "exit status: 0 ok, 1 failure (daemon not running, access denied), 2 usage error\n");
}

int cmd_metrics(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			metrics_usage(stdout);
			return 0;
		}
		metrics_usage(stderr);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "dockside: metrics: unexpected argument '%s'\n", argv[optind]);
		metrics_usage(stderr);
		return EXIT_USAGE;
	}
	cJSON *req = control_request_new("metrics");
	cJSON *resp = NULL;
	if (!req)
		return 1;
	int rc = control_call(config_path, "metrics", req, &resp, NULL);
	cJSON_Delete(req);
	if (rc != 0)
		return 1;
	fputs(json_string(resp, "text", ""), stdout);
	cJSON_Delete(resp);
	return 0;
}
