/* dockside: warehouse gateway daemon and its command line. */
#include <stdio.h>
#include <string.h>

#include "agent/commands.h"
#include "agent/config.h"

static const struct command commands[] = {
	{"run", cmd_run, "run the daemon in the foreground"},
	{"check-config", cmd_check_config, "validate config, credentials and profiles"},
	{"status", cmd_status, "devices, tenants, backlog and store size"},
	{"tail", cmd_tail, "recent events (reading tenant data is audited)"},
	{"quarantine", cmd_quarantine, "list, assign or drop unowned events"},
	{"replay", cmd_replay, "publish retained events of a tenant again"},
	{"audit", cmd_audit, "verify the audit log's hash chain"},
	{"decode", cmd_decode, "decode a scan (AIM id, GS1 fields) to JSON"},
	{"profiles", cmd_profiles, "list, show or validate device profiles"},
	{"enroll", cmd_enroll, "fetch tenant credentials over HTTPS"},
	{"metrics", cmd_metrics, "metrics in Prometheus text format"},
	{"version", cmd_version, "version and library versions"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: dockside [-c FILE] COMMAND [ARGS]\n\n"
		     "Warehouse gateway: scanners, scales and conveyors to MQTT, per tenant.\n\n"
		     "options:\n"
		     "  -c FILE    configuration file (default " DEFAULT_CONFIG_PATH ")\n"
		     "  -h, --help this help\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'dockside COMMAND --help' for a command's options.\n");
}

int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *config_path = DEFAULT_CONFIG_PATH;
	int i = 1;

	/* Global options come before the command; -c is also accepted after it. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			char *v[] = {"version", NULL};
			return cmd_version(config_path, 1, v);
		} else {
			fprintf(stderr, "dockside: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[i];
	int sub_argc = argc - i;
	char **sub_argv = argv + i;

	/* Accept "-c FILE" anywhere after the command too. */
	for (int j = 1; j + 1 < sub_argc; j++) {
		if (strcmp(sub_argv[j], "-c") == 0) {
			config_path = sub_argv[j + 1];
			for (int k = j; k + 2 <= sub_argc; k++)
				sub_argv[k] = sub_argv[k + 2];
			sub_argc -= 2;
			break;
		}
	}
	for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
		if (strcmp(commands[c].name, name) == 0)
			return commands[c].run(config_path, sub_argc, sub_argv);
	fprintf(stderr, "dockside: unknown command '%s'\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
