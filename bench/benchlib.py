"""Shared pieces of the daemon benchmarks: builds on tests/lib/harness.py
(real mosquitto, real dockside, ptys) and adds what measuring needs:
backlog prefill, peak RSS, percentiles, a results file for the table."""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
BUILD = os.environ.get("DOCKSIDE_BUILD", os.path.join(SRC, "build-bench"))
os.environ.setdefault("DOCKSIDE_BIN", os.path.join(BUILD, "dockside"))
os.environ.setdefault("DOCKSIDE_SRC", SRC)

import harness  # noqa: E402
from harness import Broker, Gateway, PtyScanner, Subscriber, TempDir, wait_until, PREFIX  # noqa: E402,F401

PREFILL = os.path.join(BUILD, "bench", "bench_prefill")
GATEWAY_ID = "gw-bench-01"
TENANTS = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
SITE_USER, SITE_PASS = "site-test-dc1", "site-pass-5k2j"


def tmpdir(prefix):
    # /var/tmp: a real disk, like the gateway's data_dir; /tmp may be tmpfs.
    os.environ.setdefault("TMPDIR", "/var/tmp")
    return TempDir(prefix=prefix)


def broker(tmp, tenants=TENANTS, extra="", start=True, port=None):
    """A mosquitto with the reference ACL; extra lines go into its config."""
    b = Broker(tmp, {k: v["password"] for k, v in tenants.items()} | {SITE_USER: SITE_PASS},
               site_users=[SITE_USER], port=port)
    if extra:
        with open(b.conf, "a") as f:
            f.write(extra.rstrip("\n") + "\n")
    return b.start() if start else b


def gateway(tmp, port, tenants=TENANTS, devices=(), agent_extra="", broker_extra="", data_dir=None,
            log_level="info"):
    return Gateway(tmp, port, tenants, list(devices), gateway_id=GATEWAY_ID, agent_extra=agent_extra,
                   broker_extra=broker_extra, data_dir=data_dir, log_level=log_level)


def prefill(data_dir, tenant, n):
    """Commits n scan events for tenant into the store at data_dir."""
    os.makedirs(data_dir, exist_ok=True)
    out = subprocess.run([PREFILL, "-d", data_dir, "-g", GATEWAY_ID, "-t", tenant, "-n", str(n)],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0])


def proc_status_kib(pid, key):
    """VmHWM / VmRSS of a process in KiB, or None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def status_json(gw):
    return json.loads(gw.cli("status", "--json").stdout)


def session_info(gw, name):
    st = status_json(gw)
    for s in st.get("sessions", st.get("tenants", [])):
        if s.get("name") == name:
            return s
    raise KeyError(name)


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def record(bench, metric, value, unit="", target=None, met=None, note=""):
    """Prints one result and appends it to $BENCH_RESULTS (JSON lines)."""
    row = {"bench": bench, "metric": metric, "value": value, "unit": unit, "target": target, "met": met,
           "note": note}
    shown = ("%.3g" % value if isinstance(value, float) and value < 100 else
             "{:,}".format(round(value)) if isinstance(value, (int, float)) else str(value))
    print("RESULT %-12s %-48s %12s %-8s %s%s" % (bench, metric, shown, unit,
                                                  "target %s: %s" % (target, "met" if met else "NOT met")
                                                  if target else "", ("  (" + note + ")") if note else ""),
          flush=True)
    path = os.environ.get("BENCH_RESULTS")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(row) + "\n")


def mono_ns():
    return time.monotonic_ns()


def free_port_of():
    return harness.free_port()
