#!/bin/sh
# Builds dockside (Release, build-bench/) and runs every benchmark, then
# prints the results table. Takes about 5 minutes on 2 cores.
#   bench/run.sh            all
#   bench/run.sh quick      smaller sizes (a smoke run, not for the table)
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${DOCKSIDE_BUILD:-$SRC/build-bench}
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
make -C "$BUILD" -j2 dockside bench_ingest bench_prefill >/dev/null
export DOCKSIDE_BUILD="$BUILD" BENCH_RESULTS="$BUILD/bench-results.jsonl" TMPDIR=${TMPDIR:-/var/tmp}
: > "$BENCH_RESULTS"
PY=/usr/bin/python3
cd "$SRC/bench"
if [ "${1:-}" = quick ]; then
	"$PY" bench_drain.py --events 200000
	"$PY" bench_latency.py e2e --seconds 3
	"$PY" bench_latency.py noisy --seconds 5
	"$PY" bench_diy.py --offline-scans 2000 --kill-scans 2000
else
	echo "== store: durable ingest vs plain SQLite loop, store-side drain"
	"$BUILD/bench/bench_ingest" -n 200000 -b 0
	echo "== daemon: 1M-event drain, startup, peak RSS"
	"$PY" bench_drain.py --events 1000000 --variants
	echo "== daemon: latency at 1000 events/s"
	"$PY" bench_latency.py e2e --seconds 10
	echo "== daemon: noisy neighbour"
	"$PY" bench_latency.py noisy --seconds 15
	echo "== dockside vs mosquitto bridge (DIY)"
	"$PY" bench_diy.py --offline-scans 5000 --kill-scans 5000
fi
"$PY" report.py "$BENCH_RESULTS"
