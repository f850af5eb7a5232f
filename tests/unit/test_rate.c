/* The moving rate behind `status` rates. */
#include <math.h>
#include <stdio.h>

#include "agent/rate.h"

static int failures;
#define CHECK(cond)                                                                                   \
	do {                                                                                          \
		if (!(cond)) {                                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);      \
			failures++;                                                                   \
		}                                                                                     \
	} while (0)

int main(void)
{
	struct rate_window rw = {0};
	CHECK(rate_per_second(&rw) == 0.0);
	rate_sample(&rw, 1000, 0);
	CHECK(rate_per_second(&rw) == 0.0); /* one sample: no rate yet */
	rate_sample(&rw, 2000, 500);
	CHECK(fabs(rate_per_second(&rw) - 500.0) < 1e-9);
	/* 30 s of 100/s after a burst: the window forgets the burst. */
	uint64_t v = 500;
	for (int i = 3; i <= 32; i++) {
		v += 100;
		rate_sample(&rw, i * 1000, v);
	}
	CHECK(fabs(rate_per_second(&rw) - 100.0) < 1e-9);
	/* A counter that went backwards (restart) gives 0, not garbage. */
	rate_sample(&rw, 33000, 5);
	CHECK(rate_per_second(&rw) == 0.0);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
