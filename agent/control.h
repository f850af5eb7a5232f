/* The control socket: a Unix stream socket where CLI commands (status,
 * metrics, tail, quarantine, replay, audit) talk to the running daemon.
 * Admits root, the daemon's own user and members of admin_group, checked
 * with SO_PEERCRED. One JSON request line in, one JSON document out. */
#ifndef DOCKSIDE_CONTROL_H
#define DOCKSIDE_CONTROL_H

struct daemon;
struct control;

/* Creates the socket at cfg->agent.control_socket (replacing a stale one).
 * NULL on failure (logged). */
struct control *control_open(struct daemon *d);
void control_close(struct control *c);

#endif
