/* dockside replay --tenant T --from SEQ [--to SEQ]: publishes retained,
 * already acknowledged events of tenant T again, on T's connection only,
 * with their original ids. Audited with the caller's uid. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/commands.h"
#include "agent/control_client.h"
#include "agent/util.h"

#define SEQ_MAX 9007199254740991LL

static void replay_usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] replay --tenant T --from SEQ [--to SEQ]\n\n"
		     "Publishes tenant T's retained events with seq in [FROM, TO] again, with\n"
		     "their original ids and content, on T's connection. Events not yet\n"
		     "acknowledged are on their way anyway and are not repeated. Written to the\n"
		     "audit log with your uid.\n\n"
		     "options:\n"
		     "  --tenant T  the tenant (required)\n"
		     "  --from SEQ  first seq (required)\n"
		     "  --to SEQ    last seq (default: the last acknowledged one)\n"
		     "  -c FILE     configuration file (names the control socket)\n"
		     "  -h, --help  this help\n\n"
		     "exit status: 0 replay started, 1 failure (unknown tenant, nothing retained\n"
		     "in the range, daemon not running, access denied), 2 usage error\n");
}

int cmd_replay(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	int64_t from = 0, to = -1;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tenant = optarg;
			break;
		case 'f':
		case 'T':
			if (!parse_count_arg(optarg, 1, SEQ_MAX, c == 'f' ? &from : &to)) {
				fprintf(stderr, "dockside: replay: --%s wants a seq (a positive number), not '%s'\n",
					c == 'f' ? "from" : "to", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			replay_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || !tenant || from == 0) {
		if (optind < argc)
			fprintf(stderr, "dockside: replay: unexpected argument '%s'\n", argv[optind]);
		else
			fprintf(stderr, "dockside: replay: --tenant and --from are required\n");
		replay_usage(stderr);
		return EXIT_USAGE;
	}
	if (!tenant_id_valid(tenant)) {
		fprintf(stderr, "dockside: replay: '%s' is not a valid tenant id ([a-z0-9][a-z0-9-]{0,62})\n", tenant);
		return EXIT_USAGE;
	}
	if (to >= 0 && to < from) {
		fprintf(stderr, "dockside: replay: --to %lld is below --from %lld\n", (long long)to, (long long)from);
		return EXIT_USAGE;
	}
	cJSON *req = control_request_new("replay");
	cJSON *resp = NULL;
	if (!req)
		return 1;
	if (!cJSON_AddStringToObject(req, "tenant", tenant) || !cJSON_AddNumberToObject(req, "from", (double)from) ||
	    (to >= 0 && !cJSON_AddNumberToObject(req, "to", (double)to))) {
		cJSON_Delete(req);
		fprintf(stderr, "dockside: replay: out of memory\n");
		return 1;
	}
	int rc = control_call(config_path, "replay", req, &resp, NULL);
	cJSON_Delete(req);
	if (rc != 0)
		return 1;
	printf("replaying tenant %s seq %.0f..%.0f\n", json_string(resp, "tenant", tenant), json_number(resp, "from", 0),
	       json_number(resp, "to", 0));
	cJSON_Delete(resp);
	return 0;
}
