/* dockside tail: recent events from the store of the running daemon.
 * Without --tenant only site-scope events are shown; --tenant T shows T's
 * events, and the daemon writes an audit entry first. -f follows by
 * asking again every 500 ms from the last seq seen. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/commands.h"
#include "agent/control_client.h"
#include "agent/util.h"

#define TAIL_DEFAULT 20
#define TAIL_MAX 10000
#define FOLLOW_INTERVAL_MS 500
#define FOLLOW_BATCH 1000

static volatile sig_atomic_t tail_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	tail_stop = 1;
}

static void tail_usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] tail [--tenant T] [-n N] [-f] [--json]\n\n"
		     "Shows recent events from the running daemon's store. Without --tenant only\n"
		     "site-scope events (shared equipment) are shown; with --tenant T, tenant T's\n"
		     "events. Reading tenant data is written to the audit log with your uid.\n\n"
		     "options:\n"
		     "  --tenant T   show tenant T's events (audited)\n"
		     "  -n N         the last N events (default %d, at most %d)\n"
		     "  -f, --follow keep printing new events until interrupted (one audit entry)\n"
		     "  --json       print the daemon's JSON answer unchanged; with -f, one event\n"
		     "               per line\n"
		     "  -c FILE      configuration file (names the control socket)\n"
		     "  -h, --help   this help\n\n"
		     "exit status: 0 ok, 1 failure (unknown tenant, daemon not running, access\n"
		     "denied), 2 usage error\n",
		     TAIL_DEFAULT, TAIL_MAX);
}

static void print_event(const cJSON *ev, bool json)
{
	if (json) {
		char *text = cJSON_PrintUnformatted(ev);
		if (text) {
			puts(text);
			free(text);
		}
		return;
	}
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(ev, "data");
	char *data_text = data ? cJSON_PrintUnformatted(data) : NULL;
	printf("%8.0f %-24s %-20s %-8s %s", json_number(ev, "seq", 0), json_string(ev, "ts", "?"),
	       json_string(ev, "device", "?"), json_string(ev, "kind", "?"), data_text ? data_text : "{}");
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ev, "quarantine_id")))
		printf("  (from quarantine %.0f)", json_number(ev, "quarantine_id", 0));
	putchar('\n');
	free(data_text);
}

/* One request; prints its events and returns the next seq to ask for, or
 * -1 on failure (reported). */
static int64_t tail_once(const char *config_path, const char *tenant, int64_t n, int64_t from, bool follow_start,
			 bool follow_continue, bool json, bool raw_output)
{
	cJSON *req = control_request_new("tail");
	cJSON *resp = NULL;
	char *raw = NULL;
	int64_t next = -1;
	if (!req)
		return -1;
	if ((tenant && !cJSON_AddStringToObject(req, "tenant", tenant)) ||
	    !cJSON_AddNumberToObject(req, "n", (double)n) ||
	    (from > 0 && !cJSON_AddNumberToObject(req, "from", (double)from)) ||
	    (follow_start && !cJSON_AddTrueToObject(req, "follow")) ||
	    (follow_continue && !cJSON_AddTrueToObject(req, "follow_continue"))) {
		cJSON_Delete(req);
		fprintf(stderr, "dockside: tail: out of memory\n");
		return -1;
	}
	int rc = control_call(config_path, "tail", req, &resp, &raw);
	cJSON_Delete(req);
	if (rc != 0)
		return -1;
	if (raw_output) {
		print_raw(raw);
	} else {
		const cJSON *ev;
		cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(resp, "events"))
			print_event(ev, json);
	}
	fflush(stdout);
	next = (int64_t)json_number(resp, "next_from", (double)from);
	cJSON_Delete(resp);
	free(raw);
	return next;
}

int cmd_tail(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tenant", required_argument, NULL, 't'},
		{"follow", no_argument, NULL, 'f'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *tenant = NULL;
	int64_t n = TAIL_DEFAULT;
	bool follow = false, json = false;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "n:fh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			tenant = optarg;
			break;
		case 'n':
			if (!parse_count_arg(optarg, 1, TAIL_MAX, &n)) {
				fprintf(stderr, "dockside: tail: -n wants a number from 1 to %d, not '%s'\n", TAIL_MAX,
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			follow = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			tail_usage(stdout);
			return 0;
		default:
			tail_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dockside: tail: unexpected argument '%s'\n", argv[optind]);
		tail_usage(stderr);
		return EXIT_USAGE;
	}
	if (tenant && !tenant_id_valid(tenant)) {
		fprintf(stderr, "dockside: tail: '%s' is not a valid tenant id ([a-z0-9][a-z0-9-]{0,62})\n", tenant);
		return EXIT_USAGE;
	}

	if (!follow)
		return tail_once(config_path, tenant, n, 0, false, false, json, json) < 0 ? 1 : 0;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: the sleep ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int64_t next = tail_once(config_path, tenant, n, 0, true, false, json, false);
	if (next < 0)
		return 1;
	while (!tail_stop) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = FOLLOW_INTERVAL_MS * 1000000L};
		if (nanosleep(&ts, NULL) < 0 && tail_stop)
			break;
		if (tail_stop)
			break;
		next = tail_once(config_path, tenant, FOLLOW_BATCH, next, false, true, json, false);
		if (next < 0)
			return 1;
	}
	return 0;
}
