/* Subcommands of the dockside binary. Each lives in agent/cmd_NAME.c and
 * receives argv starting at the subcommand's name (argv[0] = "run"), with
 * the global -c FILE already consumed into `config_path`. Exit status:
 * 0 success, 1 failure, 2 usage error (contract). */
#ifndef DOCKSIDE_COMMANDS_H
#define DOCKSIDE_COMMANDS_H

#include <stdio.h>

#define EXIT_USAGE 2

struct command {
	const char *name;
	int (*run)(const char *config_path, int argc, char **argv);
	const char *summary;
};

int cmd_run(const char *config_path, int argc, char **argv);
int cmd_check_config(const char *config_path, int argc, char **argv);
int cmd_status(const char *config_path, int argc, char **argv);
int cmd_tail(const char *config_path, int argc, char **argv);
int cmd_quarantine(const char *config_path, int argc, char **argv);
int cmd_replay(const char *config_path, int argc, char **argv);
int cmd_audit(const char *config_path, int argc, char **argv);
int cmd_decode(const char *config_path, int argc, char **argv);
int cmd_profiles(const char *config_path, int argc, char **argv);
int cmd_enroll(const char *config_path, int argc, char **argv);
int cmd_metrics(const char *config_path, int argc, char **argv);
int cmd_version(const char *config_path, int argc, char **argv);

/* True if argv holds -h or --help (each command prints its own help). */
int wants_help(int argc, char **argv);

#endif
