/* The running daemon: everything `dockside run` owns. Single-threaded:
 * the loop drives devices, ingest, the uplink and the control socket. */
#ifndef DOCKSIDE_DAEMON_H
#define DOCKSIDE_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/config.h"
#include "drivers/profile.h"

struct loop;
struct store;
struct ingest;
struct uplink;
struct device;
struct control;

struct daemon {
	struct config *cfg;
	struct profile_set profiles;
	struct loop *loop;
	struct store *store;
	struct ingest *ingest;
	struct uplink *uplink;
	struct device *devices;
	size_t n_devices;
	struct control *control;
	int64_t started_ms;          /* wall clock */
	bool stopping;
};

/* Runs the daemon until SIGTERM/SIGINT. Returns the exit status. */
int daemon_run(const char *config_path);

#endif
