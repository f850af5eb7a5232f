/* Exponential backoff with jitter, shared by device reopen and broker
 * reconnect: delays stay in [b/2, b], b doubles up to the cap. */
#include <stdio.h>

#include "agent/util.h"

int main(void)
{
	int failures = 0;
	int64_t b = 250, expect = 250;
	for (int i = 0; i < 20; i++) {
		int64_t d = backoff_next_delay(&b, 10000);
		if (d < expect / 2 || d > expect) {
			fprintf(stderr, "step %d: delay %lld outside [%lld, %lld]\n", i, (long long)d,
				(long long)expect / 2, (long long)expect);
			failures++;
		}
		expect = expect * 2 > 10000 ? 10000 : expect * 2;
		if (b != expect) {
			fprintf(stderr, "step %d: next backoff %lld, wanted %lld\n", i, (long long)b, (long long)expect);
			failures++;
		}
	}
	/* A huge backoff does not overflow past the cap. */
	b = INT64_MAX / 2 + 1;
	backoff_next_delay(&b, INT64_MAX);
	if (b != INT64_MAX) {
		fprintf(stderr, "huge backoff: %lld\n", (long long)b);
		failures++;
	}
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
