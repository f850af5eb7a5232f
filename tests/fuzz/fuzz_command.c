/* libFuzzer target: command_parse on any payload received on tenant
 * acme's cmd topic. Beyond "no crash, no sanitizer report": an accepted
 * command is a replay with 1 <= from <= to (or to = -1: open end), and
 * the same payload parses to the same answer twice (no hidden state). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct command cmd, again;
	enum command_error err = command_parse((const char *)data, size, "acme", &cmd);
	if (!command_error_string(err)[0])
		abort();
	if (err == COMMAND_OK) {
		if (cmd.op != COMMAND_REPLAY || cmd.from_seq < 1)
			abort();
		if (cmd.to_seq != -1 && cmd.to_seq < cmd.from_seq)
			abort();
	}
	if (command_parse((const char *)data, size, "acme", &again) != err)
		abort();
	if (err == COMMAND_OK && (again.from_seq != cmd.from_seq || again.to_seq != cmd.to_seq))
		abort();
	return 0;
}
