/* Fills a tenant's outbox in a dockside store, fast, so a benchmark can
 * start the daemon on a large backlog.
 *
 *   bench_prefill -d DATA_DIR -g GATEWAY_ID -t TENANT -n EVENTS
 *
 * Events are scans of about 200 bytes on the wire, committed with
 * store_commit in batches of 4096 (synchronous=FULL, like the daemon).
 * gateway_id must be the one the daemon's config names: it is part of
 * every stored event id. Prints the store's last_seq for the tenant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/log.h"
#include "agent/util.h"
#include "sync/store.h"

#define BATCH 4096

int main(int argc, char **argv)
{
	const char *dir = NULL, *gateway = NULL, *tenant = NULL;
	long n = 0;
	int opt;
	while ((opt = getopt(argc, argv, "d:g:t:n:h")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'g': gateway = optarg; break;
		case 't': tenant = optarg; break;
		case 'n': n = strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: bench_prefill -d DATA_DIR -g GATEWAY_ID -t TENANT -n EVENTS\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!dir || !gateway || !tenant || n <= 0 || !tenant_id_valid(tenant)) {
		fprintf(stderr, "usage: bench_prefill -d DATA_DIR -g GATEWAY_ID -t TENANT -n EVENTS\n");
		return 2;
	}
	log_set_level(LOG_LVL_WARN);
	struct store_config cfg = { .data_dir = dir, .gateway_id = gateway };
	struct store *st = NULL;
	char err[512];
	if (store_open(&st, &cfg, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "bench_prefill: %s\n", err);
		return 1;
	}
	store_set_max_backlog(st, tenant, 0);
	static struct store_event evs[BATCH];
	static char data[BATCH][96];
	int64_t ts = wall_now_ms();
	for (long i = 0; i < n;) {
		int k = 0;
		for (; k < BATCH && i < n; k++, i++) {
			snprintf(data[k], sizeof data[k], "{\"text\":\"]C10109506000134352%08ld\",\"aim\":\"]C1\"}", i);
			evs[k] = (struct store_event){
				.stream = tenant, .ts_ms = ts, .device = "dock-1-scanner",
				.station = "dock-1", .kind = "scan", .data = data[k],
			};
		}
		if (store_commit(st, evs, (size_t)k) != STORE_OK) {
			fprintf(stderr, "bench_prefill: store_commit failed\n");
			store_close(st);
			return 1;
		}
	}
	struct store_stream_info info;
	store_stream_info(st, tenant, &info);
	printf("%lld %lld\n", (long long)info.last_seq, (long long)info.acked_seq);
	store_close(st);
	return 0;
}
