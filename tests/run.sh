#!/bin/sh
# Installs what is missing, builds dockside twice (release and
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs the whole test
# suite against both builds.
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
exit $status
