#include <stdio.h>

#include "agent/commands.h"
#include "agent/daemon.h"

int cmd_run(const char *config_path, int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		printf("usage: dockside [-c FILE] run\n\n"
		       "Run the daemon in the foreground until SIGTERM or SIGINT (systemd Type=notify).\n"
		       "SIGHUP validates the configuration file again and records the request in the\n"
		       "audit log; changes take effect at the next start.\n\n"
		       "environment:\n"
		       "  DOCKSIDE_LOG_LEVEL    error|warn|info|debug (overrides [agent] log_level)\n"
		       "  DOCKSIDE_PROFILE_DIR  where firmware profiles are read from\n");
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "dockside run: unexpected argument '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	return daemon_run(config_path);
}
