/* Moving rate of a monotonically increasing counter over the last ~10 s,
 * from one sample per second (for `status`: commits/s, events/s). */
#ifndef DOCKSIDE_RATE_H
#define DOCKSIDE_RATE_H

#include <stdint.h>

#define RATE_SAMPLES 11

struct rate_window {
	int64_t t_ms[RATE_SAMPLES];
	uint64_t value[RATE_SAMPLES];
	int n;      /* samples held */
	int next;   /* slot of the next sample */
};

void rate_sample(struct rate_window *rw, int64_t now_ms, uint64_t value);
/* Per second between the oldest and newest sample; 0 with fewer than two. */
double rate_per_second(const struct rate_window *rw);

#endif
