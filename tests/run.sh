#!/bin/sh
# Installs what is missing, builds dockside twice (release and
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs the whole test
# suite against both builds; then builds the libFuzzer targets with clang
# and runs each for FUZZ_SECONDS (default 15) from its seed corpus.
set -eu
cd "$(dirname "$0")/.."
deploy/install-deps.sh

JOBS=${JOBS:-2}
status=0
for variant in release asan; do
	dir=build-test-$variant
	if [ "$variant" = asan ]; then
		flags="-DDOCKSIDE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
	else
		flags="-DCMAKE_BUILD_TYPE=RelWithDebInfo"
	fi
	echo "== $variant build"
	# shellcheck disable=SC2086
	cmake -S . -B "$dir" $flags >/dev/null
	cmake --build "$dir" -j "$JOBS" >/dev/null
	echo "== $variant tests"
	if ! (cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest -j "$JOBS" --output-on-failure --timeout 900); then
		status=1
	fi
done

# Fuzzing: only the fuzz targets are built (clang, libFuzzer + ASan +
# UBSan), each run for FUZZ_SECONDS, two at a time.
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
dir=build-test-fuzz
echo "== fuzz build (clang)"
CC=clang cmake -S . -B "$dir" -DDOCKSIDE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	-DDOCKSIDE_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
cmake --build "$dir" -j "$JOBS" --target fuzz_all >/dev/null
echo "== fuzz tests (${FUZZ_SECONDS}s per target)"
if ! (cd "$dir" && ctest -j "$JOBS" --output-on-failure -R '^fuzz\.'); then
	status=1
fi
exit $status
