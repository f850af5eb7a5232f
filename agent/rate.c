#include "agent/rate.h"

void rate_sample(struct rate_window *rw, int64_t now_ms, uint64_t value)
{
	rw->t_ms[rw->next] = now_ms;
	rw->value[rw->next] = value;
	rw->next = (rw->next + 1) % RATE_SAMPLES;
	if (rw->n < RATE_SAMPLES)
		rw->n++;
}

double rate_per_second(const struct rate_window *rw)
{
	if (rw->n < 2)
		return 0.0;
	int newest = (rw->next + RATE_SAMPLES - 1) % RATE_SAMPLES;
	int oldest = (rw->next + RATE_SAMPLES - rw->n) % RATE_SAMPLES;
	int64_t dt = rw->t_ms[newest] - rw->t_ms[oldest];
	if (dt <= 0 || rw->value[newest] < rw->value[oldest])
		return 0.0;
	return (double)(rw->value[newest] - rw->value[oldest]) * 1000.0 / (double)dt;
}
