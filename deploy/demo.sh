#!/bin/sh
# Installs what is missing, builds dockside and runs the built-in demo: a
# local mosquitto on loopback, simulated serial scanners on pseudo-terminals
# for two tenants and a shared by-GS1 scanner, and the daemon; events are
# printed per tenant as the broker delivers them. DEMO_SECONDS=0 runs until
# Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "${JOBS:-2}" >/dev/null
export DOCKSIDE_BIN="$PWD/build/dockside" DOCKSIDE_SRC="$PWD"
export PYTHONPATH="$PWD/tests/lib${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 deploy/demo/demo.py
