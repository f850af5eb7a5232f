"""dockside against the usual do-it-yourself store-and-forward: a local
mosquitto with persistence, bridged to the cloud broker, fed by a script
that publishes each scan at QoS 1 (diy_scanner.py). Same run, same cloud
broker, same scenarios:

    bench_diy.py [--offline-scans 5000] [--kill-scans 5000]

(Sizes are kept small because autosave_on_changes rewrites mosquitto's
whole database after every queued message: its cost grows with the square
of the backlog; at 20,000 queued scans it did not finish in 5 minutes.)

offline-then-online: the cloud is unreachable (a socat forwarder in front
of the cloud mosquitto is not running: connection refused), N scans are
taken, then the forwarder starts. Measured: scans delivered to the cloud
(distinct), time from "cloud up" to the last one (reconnect delay
included: the bridge retries every 1 s, dockside backs off to at most
1 s), peak RSS of the local broker vs dockside, their files on disk.

kill -9: the cloud is up; M scans at 2,000/s; at the middle the local
broker (or dockside) is killed with SIGKILL and restarted 0.5 s later.
Counted: scans the producer was told were taken (DIY: PUBACK from the
local broker; dockside: committed to its store, read back from SQLite),
scans delivered, and "lost" = taken but never delivered.

The DIY broker is run in three persistence settings (mosquitto 2.0.11):
autosave_interval 1800 (the shipped default: the in-memory state is
written every 30 min and at clean shutdown), autosave_interval 1 (every
second) and autosave_on_changes true with autosave_interval 1 (a full
save after every change). The cloud side is one mosquitto_sub (C, QoS 1)
writing arrival time and payload of every message.
"""
import argparse
import json
import os
import signal
import sqlite3
import subprocess
import time

from bench_latency import fork_writer
from benchlib import ( PtyScanner, broker, free_port_of, gateway, proc_status_kib, record, tmpdir,
                      wait_until)
import harness  # noqa: E402  (on the path once benchlib is imported)

HERE = os.path.dirname(os.path.abspath(__file__))
ACME_PASS = "acme-pw-7Hq2"
VARIANTS = (("autosave_interval 1800", "autosave_interval 1800\nautosave_on_changes false\n"),
            ("autosave_interval 1", "autosave_interval 1\nautosave_on_changes false\n"),
            ("autosave_on_changes, interval 1", "autosave_interval 1\nautosave_on_changes true\n"))


class Forwarder:
    """socat in front of the cloud broker: stopped = cloud unreachable."""

    def __init__(self, cloud_port):
        self.cloud_port = cloud_port
        self.port = free_port_of()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % self.port,
                                      "TCP:127.0.0.1:%d" % self.cloud_port], start_new_session=True,
                                     stderr=subprocess.DEVNULL)
        wait_until(lambda: _port_open(self.port), 5, what="socat")

    def stop(self):
        if self.proc:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own group: socat and its forks
            self.proc.wait()
            self.proc = None


def _port_open(port):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class CloudSink:
    """mosquitto_sub on the cloud broker: arrival time and scan number of
    every scan in every events message."""

    def __init__(self, tmp, port, name):
        self.path = tmp.join("sink-%s.txt" % name)
        self.f = open(self.path, "wb")
        self.proc = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-u", harness.ADMIN_USER,
                                      "-P", harness.ADMIN_PASS, "-V", "mqttv5", "-q", "1",
                                      "-t", "dockside/v1/acme/+/events", "-F", "%U %p"], stdout=self.f)
        time.sleep(0.3)

    def arrivals(self):
        """(scan number -> first arrival wall time, total scans received)."""
        first, total = {}, 0
        with open(self.path, "rb") as f:
            for line in f:
                try:
                    ts, payload = line.split(b" ", 1)
                    doc = json.loads(payload)
                except ValueError:
                    continue  # a line being written
                for ev in doc.get("events", [doc]):
                    text = ev.get("data", {}).get("text", "")
                    if ev.get("kind") == "scan" and text.startswith("]A0S"):
                        total += 1
                        first.setdefault(int(text[4:]), float(ts))
        return first, total

    def settle(self, expect, timeout):
        """Waits until expect scans arrived, or (once some arrived) nothing
        new for 10 s, or timeout."""
        deadline = time.monotonic() + timeout
        last_n, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            n = len(self.arrivals()[0])
            if n >= expect:
                break
            if n != last_n:
                last_n, last_change = n, time.monotonic()
            elif n > 0 and time.monotonic() - last_change > 10:
                break
            time.sleep(0.2)
        return self.arrivals()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.f.close()


class LocalBroker:
    """The DIY edge broker: persistence, bridge to the cloud (via fwd)."""

    def __init__(self, tmp, name, fwd_port, persistence):
        self.dir = tmp.join("diy-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port_of()
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\n" % self.port)
            f.write("persistence true\npersistence_location %s/\n" % self.dir)
            f.write(persistence)
            f.write("max_queued_messages 0\n")  # no limit: queue everything while offline
            f.write("log_dest file %s/mosquitto.log\n" % self.dir)
            if os.geteuid() == 0:
                f.write("user root\n")
            f.write("connection cloud\naddress 127.0.0.1:%d\n" % fwd_port)
            f.write("remote_username acme\nremote_password %s\nremote_clientid diy-bridge-acme\n" % ACME_PASS)
            f.write("bridge_protocol_version mqttv50\ncleansession false\nrestart_timeout 1\n")
            f.write("notifications false\ntopic dockside/v1/acme/# out 1\n")
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(lambda: _port_open(self.port), 10, what="local mosquitto")

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()

    def db_bytes(self):
        p = os.path.join(self.dir, "mosquitto.db")
        return os.path.getsize(p) if os.path.exists(p) else 0


def run_diy_scanner(port, count, rate, out):
    return subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "diy_scanner.py"), str(port), str(count),
                             str(rate), out])


def dockside_committed_scans(db_path):
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    got = set()
    for (body,) in db.execute("SELECT body FROM events WHERE stream='acme' AND kind='scan'"):
        text = json.loads(body)["data"]["text"]
        if text.startswith("]A0S"):
            got.add(int(text[4:]))
    db.close()
    return got


# ---- offline, then online -------------------------------------------------

def offline_diy(tmp, cloud, fwd, n, rate, name, persistence):
    lb = LocalBroker(tmp, "off-" + name.replace(" ", "-").replace(",", ""), fwd.port, persistence)
    sink = CloudSink(tmp, cloud.port, os.path.basename(lb.dir))
    lb.start()
    out = os.path.join(lb.dir, "scanner.json")
    try:
        run_diy_scanner(lb.port, n, rate, out).wait()
        acked = len(json.load(open(out))["acked"])
        rss_offline = proc_status_kib(lb.proc.pid, "VmRSS")
        disk = lb.db_bytes()
        t_up = time.time()
        fwd.start()
        first, total = sink.settle(n, 120)
        hwm = proc_status_kib(lb.proc.pid, "VmHWM")
        lb.stop()
        return dict(taken=acked, delivered=len(first), dups=total - len(first),
                    drain=(max(first.values()) - t_up) if first else float("nan"),
                    first=(min(first.values()) - t_up) if first else float("nan"), rss=rss_offline, hwm=hwm,
                    disk=disk)
    finally:
        fwd.stop()
        lb.stop()
        sink.stop()


def offline_dockside(tmp, cloud, fwd, n, rate):
    sc = PtyScanner(tmp, "off")
    gw = gateway(tmp, fwd.port, {"acme": {"password": ACME_PASS}},
                 [{"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link}],
                 data_dir=tmp.join("ds-offline"))
    sink = CloudSink(tmp, cloud.port, "off-ds")
    try:
        gw.start()
        time.sleep(0.3)
        os.waitpid(fork_writer(sc.master, rate, n / rate, lambda i: b"]A0S%08d\r" % (i + 1), chunk=10), 0)
        scans = lambda: [t for t in json.loads(gw.cli("status", "--json").stdout)["tenants"]
                         if t["name"] == "acme"][0]["events_by_kind"]["scan"]
        taken = wait_until(lambda: scans() >= n and scans(), 30, what="all scans committed")
        rss_offline = proc_status_kib(gw.proc.pid, "VmRSS")
        disk = sum(os.path.getsize(os.path.join(gw.data_dir, f)) for f in os.listdir(gw.data_dir))
        t_up = time.time()
        fwd.start()
        first, total = sink.settle(n, 120)
        hwm = proc_status_kib(gw.proc.pid, "VmHWM")
        gw.stop()
        return dict(taken=taken, delivered=len(first), dups=total - len(first),
                    drain=(max(first.values()) - t_up) if first else float("nan"),
                    first=(min(first.values()) - t_up) if first else float("nan"), rss=rss_offline, hwm=hwm,
                    disk=disk)
    finally:
        fwd.stop()
        gw.stop()
        sink.stop()
        sc.close()


# ---- kill -9 mid-stream ---------------------------------------------------

def kill_diy(tmp, cloud, fwd, m, rate, name, persistence, cloud_up):
    lb = LocalBroker(tmp, "kill-%s-%s" % (cloud_up, name.replace(" ", "-").replace(",", "")), fwd.port,
                     persistence)
    sink = CloudSink(tmp, cloud.port, os.path.basename(lb.dir))
    if cloud_up:
        fwd.start()
    lb.start()
    out = os.path.join(lb.dir, "scanner.json")
    try:
        p = run_diy_scanner(lb.port, m, rate, out)
        time.sleep(m / rate / 2)
        lb.kill9()
        time.sleep(0.5)
        lb.start()
        p.wait()
        acked = set(json.load(open(out))["acked"])
        if not cloud_up:
            fwd.start()
        first, total = sink.settle(m, 60)
        got = set(first)
        return dict(written=m, taken=len(acked), delivered=len(got), lost=len(acked - got), dups=total - len(got))
    finally:
        lb.stop()
        fwd.stop()
        sink.stop()


def kill_dockside(tmp, cloud, fwd, m, rate, cloud_up):
    sc = PtyScanner(tmp, "kill-%s" % cloud_up)
    gw = gateway(tmp, fwd.port, {"acme": {"password": ACME_PASS}},
                 [{"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link}],
                 data_dir=tmp.join("ds-kill-%s" % cloud_up))
    sink = CloudSink(tmp, cloud.port, "kill-ds-%s" % cloud_up)
    if cloud_up:
        fwd.start()
    try:
        gw.start()
        time.sleep(0.3)
        w = fork_writer(sc.master, rate, m / rate, lambda i: b"]A0S%08d\r" % (i + 1))
        time.sleep(m / rate / 2)
        gw.kill9()
        time.sleep(0.5)
        gw.start()
        os.waitpid(w, 0)
        if not cloud_up:
            wait_until(lambda: len(dockside_committed_scans(gw.db())) >= m - 100 and time.sleep(1) is None, 30,
                       what="scans committed")
            fwd.start()
        first, total = sink.settle(m, 60)
        gw.stop()
        taken = dockside_committed_scans(gw.db())
        got = set(first)
        return dict(written=m, taken=len(taken), delivered=len(got), lost=len(taken - got), dups=total - len(got))
    finally:
        gw.stop()
        fwd.stop()
        sink.stop()
        sc.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--offline-scans", type=int, default=5000)
    ap.add_argument("--offline-rate", type=int, default=5000)
    ap.add_argument("--kill-scans", type=int, default=5000)
    ap.add_argument("--kill-rate", type=int, default=2000)
    args = ap.parse_args()
    tmp = tmpdir("dockside-bench-diy-")
    # The cloud broker must not drop messages for the measuring subscriber:
    # mosquitto's default max_queued_messages (1000) would, when a bridge
    # delivers thousands of one-scan messages at once.
    cloud = broker(tmp, extra="max_queued_messages 0\n")
    fwd = Forwarder(cloud.port)
    n, m = args.offline_scans, args.kill_scans
    try:
        rows = [("dockside", offline_dockside(tmp, cloud, fwd, n, args.offline_rate))]
        for name, persistence in VARIANTS:
            rows.append(("DIY, " + name, offline_diy(tmp, cloud, fwd, n, args.offline_rate, name, persistence)))
        print("offline-then-online, %d scans at %d/s while the cloud is unreachable:" % (n, args.offline_rate))
        for name, r in rows:
            print("  %-40s taken %6d  delivered %6d  duplicates %5d  first %5.2f s  last %5.2f s  RSS offline %6d "
                  "KiB  peak %6d KiB  on disk while offline %6.2f MiB" %
                  (name, r["taken"], r["delivered"], r["dups"], r["first"], r["drain"], r["rss"], r["hwm"],
                   r["disk"] / 1048576), flush=True)
            record("diy-offline", "%s: delivered / first, last after cloud up / peak RSS / on disk" % name,
                   "%d/%d, %.2f s, %.2f s, %d KiB, %.2f MiB" % (r["delivered"], n, r["first"], r["drain"], r["hwm"],
                                                                r["disk"] / 1048576), "")
        for cloud_up in (True, False):
            krows = [("dockside", kill_dockside(tmp, cloud, fwd, m, args.kill_rate, cloud_up))]
            for name, persistence in VARIANTS:
                krows.append(("DIY, " + name, kill_diy(tmp, cloud, fwd, m, args.kill_rate, name, persistence,
                                                       cloud_up)))
            where = "cloud up" if cloud_up else "cloud unreachable until after the restart"
            print("kill -9 mid-stream, %d scans at %d/s, restart after 0.5 s, %s:" % (m, args.kill_rate, where))
            for name, r in krows:
                print("  %-40s written %6d  taken %6d  delivered %6d  taken-but-lost %6d  duplicates %5d" %
                      (name, r["written"], r["taken"], r["delivered"], r["lost"], r["dups"]), flush=True)
                record("diy-kill9", "%s, %s: written / taken / delivered / taken-but-lost" % (where, name),
                       "%d / %d / %d / %d" % (r["written"], r["taken"], r["delivered"], r["lost"]), "")
    finally:
        fwd.stop()
        cloud.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
