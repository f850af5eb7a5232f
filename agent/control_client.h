/* The CLI side of the control socket: one request to the running daemon,
 * one answer back (protocol in docs/cli.md), plus small helpers the admin
 * commands (status, metrics, tail, quarantine, replay, audit) share. */
#ifndef DOCKSIDE_CONTROL_CLIENT_H
#define DOCKSIDE_CONTROL_CLIENT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Finds the control socket from the configuration at config_path, sends
 * req (a JSON object; not consumed) and waits for the answer.
 * Returns 0 when the daemon answered "ok": true; *resp (caller frees with
 * cJSON_Delete) and *raw (the answer's text, caller frees; may be NULL if
 * not wanted) are set. Otherwise prints why on stderr, naming `what` (the
 * command, e.g. "status"), and returns 1 with nothing to free. */
int control_call(const char *config_path, const char *what, const cJSON *req, cJSON **resp, char **raw);

/* A new request object {"cmd": cmd}; NULL (reported) when out of memory.
 * Caller frees with cJSON_Delete. */
cJSON *control_request_new(const char *cmd);

/* Field readers with defaults for answers (absent or null gives def). */
double json_number(const cJSON *obj, const char *name, double def);
const char *json_string(const cJSON *obj, const char *name, const char *def);
bool json_bool(const cJSON *obj, const char *name);

/* "3d 04h", "5m 02s", "12s": a duration for people. */
void format_duration(double seconds, char *buf, size_t size);

/* Prints the answer text as received (for --json), with a final newline. */
void print_raw(const char *raw);

/* Parses a positive integer argument (ids, seqs, counts) exactly. */
bool parse_count_arg(const char *s, int64_t min, int64_t max, int64_t *out);

/* Parses the options of a listing command: --json, -n N (1..n_max; only
 * when n is not NULL), --help. `what` names the command in messages.
 * Leaves optind at the first operand. Returns -1 to go on, or the exit
 * status to return now. */
int parse_listing_options(int argc, char **argv, const char *what, void (*usage)(FILE *out), bool *json,
			  int64_t *n, int64_t n_max);

#endif
