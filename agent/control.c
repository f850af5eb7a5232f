/* Placeholder until the control socket lands: accepts nothing. */
#include "agent/control.h"

#include <stdlib.h>

struct control {
	int unused;
};

struct control *control_open(struct daemon *d)
{
	(void)d;
	return calloc(1, sizeof(struct control));
}

void control_close(struct control *c) { free(c); }
