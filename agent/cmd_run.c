#include <stdio.h>

#include "agent/commands.h"

int cmd_run(const char *config_path, int argc, char **argv)
{
	(void)config_path;
	(void)argc;
	fprintf(stderr, "dockside: %s: not implemented yet\n", argv[0]);
	return 1;
}
