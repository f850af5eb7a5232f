#!/bin/sh
# Installs the Debian 12 packages dockside needs to build, test and run
# its demo. Installs only what is missing; safe to run again.
set -eu

PACKAGES="build-essential cmake pkg-config clang libclang-rt-14-dev
libusb-1.0-0-dev libmodbus-dev libmosquitto-dev libsqlite3-dev libcurl4-openssl-dev
libinih-dev libcjson-dev libsystemd-dev libssl-dev
mosquitto mosquitto-clients umockdev socat sqlite3 util-linux
python3 python3-paho-mqtt python3-pymodbus"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
