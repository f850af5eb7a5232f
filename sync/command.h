/* Cloud commands: requests arriving on a tenant's `cmd` topic. Parsing is
 * separate from acting so it can be fuzzed and tested alone. Accepted:
 *   {"op":"replay","from":SEQ[,"to":SEQ][,"tenant":"T"]}
 * A command is bound to the tenant whose topic it arrived on: a "tenant"
 * member naming anyone else is a refusal. */
#ifndef DOCKSIDE_COMMAND_H
#define DOCKSIDE_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#define COMMAND_MAX_BYTES 4096

enum command_op { COMMAND_REPLAY = 1 };

struct command {
	enum command_op op;
	int64_t from_seq;
	int64_t to_seq;             /* -1: up to the last acknowledged event */
	/* With COMMAND_ERR_OTHER_TENANT: the tenant it named, made printable
	 * (for the audit log), "(invalid)" if it was not a string. */
	char named_tenant[64];
};

enum command_error {
	COMMAND_OK = 0,
	COMMAND_ERR_SIZE,           /* empty or larger than COMMAND_MAX_BYTES */
	COMMAND_ERR_UTF8,
	COMMAND_ERR_JSON,           /* not a JSON object */
	COMMAND_ERR_OP,             /* missing or unknown op */
	COMMAND_ERR_OTHER_TENANT,   /* names another tenant's data */
	COMMAND_ERR_RANGE,          /* from/to missing, not integers, or to < from */
};

/* Parses payload (len bytes, not NUL-terminated) received on tenant's cmd
 * topic. On error returns the reason; *cmd is undefined except for
 * named_tenant. */
enum command_error command_parse(const char *payload, size_t len, const char *tenant, struct command *cmd);
const char *command_error_string(enum command_error err);

#endif
