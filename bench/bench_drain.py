"""Drain of a large backlog through the real daemon to a local mosquitto,
startup time with that backlog, and the daemon's peak RSS while draining.

    bench_drain.py [--events N] [--variants]

A tenant's outbox is prefilled with N scan events (bench_prefill, ~200-byte
events), then mosquitto and `dockside run` start on that store. Measured:
- startup: process start -> "running:" log line, and -> the first events
  message seen by a subscriber (QoS 0, it disconnects after one message);
- drain: first publish -> acked_seq == last_seq (polled every 100 ms with
  `dockside status --json`), events/s; after a clean stop the acked seq is
  read back from the SQLite file, so "acked" means "marked in the store";
- peak RSS: VmHWM of the daemon from /proc just before it is stopped.
With --variants it repeats the drain with other batch_max_events /
inflight_max settings (each on a fresh copy of the same prefilled store).
RssAnon/RssFile are sampled every 10 ms to show what the peak is made of.
The broker runs with max_inflight_messages 100 so that a window above
mosquitto's default Receive Maximum (20) can be tried.
"""
import argparse
import os
import shutil
import sqlite3
import subprocess
import threading
import time

import paho.mqtt.client as mqtt

from benchlib import (GATEWAY_ID, PREFIX, broker, gateway, prefill, proc_status_kib, record, session_info,
                      tmpdir)

TENANT = "acme"


class FirstMessage:
    """Notes when the first events message of TENANT arrives, then leaves."""

    def __init__(self, port):
        self.t = None
        self.done = threading.Event()
        self.c = mqtt.Client(client_id="bench-first-%d" % os.getpid(), protocol=mqtt.MQTTv5)
        self.c.username_pw_set(harness_admin()[0], harness_admin()[1])
        self.c.on_connect = lambda c, u, f, rc, p=None: c.subscribe("%s/%s/+/events" % (PREFIX, TENANT), qos=0)
        self.c.on_message = self._msg
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def _msg(self, c, u, m):
        if self.t is None:
            self.t = time.monotonic()
            self.done.set()
            c.unsubscribe("%s/%s/+/events" % (PREFIX, TENANT))

    def stop(self):
        self.c.loop_stop()
        self.c.disconnect()


class RssSampler:
    """Samples RssAnon and RssFile every 10 ms: what the peak is made of."""

    def __init__(self, pid):
        self.pid, self.anon, self.file = pid, 0, 0
        self.running = True
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while self.running:
            a, f = proc_status_kib(self.pid, "RssAnon"), proc_status_kib(self.pid, "RssFile")
            if a is None or f is None:
                break
            if a + f > self.anon + self.file:
                self.anon, self.file = a, f
            time.sleep(0.01)

    def stop(self):
        self.running = False
        self.t.join()


def harness_admin():
    import harness
    return harness.ADMIN_USER, harness.ADMIN_PASS


def run_once(tmp, template, n, label, broker_extra, note):
    data_dir = tmp.join("data-" + label)
    shutil.copytree(template, data_dir)
    subprocess.run(["sync"], check=True)
    b = broker(tmp, extra="max_inflight_messages 100\n")
    first = FirstMessage(b.port)
    time.sleep(0.3)
    gw = gateway(tmp, b.port, tenants={TENANT: {"password": "acme-pw-7Hq2"}}, broker_extra=broker_extra,
                 data_dir=data_dir)
    res = {}
    try:
        offset = len(gw.log_bytes())  # the log file is shared by the runs
        t0 = time.monotonic()
        gw.start(wait_running=False)
        t_running = None
        while t_running is None:
            if b"running:" in gw.log_bytes()[offset:]:
                t_running = time.monotonic()
            elif gw.proc.poll() is not None:
                raise RuntimeError("dockside exited: " + gw.log()[-2000:])
            else:
                time.sleep(0.002)
        first.done.wait(30)
        t_first = first.t
        first.stop()
        pid = gw.proc.pid
        peak = RssSampler(pid)
        while True:
            info = session_info(gw, TENANT)
            if info["acked_seq"] >= n:
                t_done = time.monotonic()
                break
            if time.monotonic() - t0 > 300:
                raise RuntimeError("drain did not finish: %r" % info)
            time.sleep(0.02)
        hwm = proc_status_kib(pid, "VmHWM")
        peak.stop()
        rc = gw.stop()
        db = sqlite3.connect("file:%s?mode=ro" % gw.db(), uri=True)
        stored_acked = db.execute("SELECT acked_seq FROM streams WHERE stream=?", (TENANT,)).fetchone()[0]
        db.close()
        res = dict(start_to_running=t_running - t0, start_to_first=t_first - t0,
                   drain_s=t_done - t_first, rate=n / (t_done - t_first), hwm=hwm, stored_acked=stored_acked,
                   rc=rc, msgs=info["messages_published"], anon=peak.anon, file=peak.file)
        print("%-28s running %.3f s, first publish %.3f s, drain %.2f s = %.0f events/s, %d messages, "
              "VmHWM %d KiB (sampled peak: anon %d KiB, file-backed %d KiB), stored acked_seq %d%s" % (label, res["start_to_running"], res["start_to_first"],
                                                      res["drain_s"], res["rate"], res["msgs"], hwm, peak.anon, peak.file,
                                                      stored_acked, "  " + note if note else ""), flush=True)
    finally:
        gw.stop()
        b.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1000000)
    ap.add_argument("--variants", action="store_true")
    args = ap.parse_args()
    n = args.events
    tmp = tmpdir("dockside-bench-drain-")
    try:
        template = tmp.join("template")
        t = time.monotonic()
        last = prefill(template, TENANT, n)
        assert last == n, last
        print("prefilled %d events in %.1f s (%.0f MiB)" % (n, time.monotonic() - t,
                                                            os.path.getsize(os.path.join(template, "dockside.db"))
                                                            / 1048576), flush=True)
        r = run_once(tmp, template, n, "default (500 ev, window 8)", "", "")
        record("drain", "drain rate, %d backlog, defaults" % n, r["rate"], "events/s", ">= 100,000",
               r["rate"] >= 100000)
        record("startup", "start -> running: line, %d backlog" % n, r["start_to_running"] * 1000, "ms")
        record("startup", "start -> first publish, %d backlog" % n, r["start_to_first"] * 1000, "ms")
        record("rss", "daemon VmHWM during %d drain" % n, r["hwm"], "KiB", "< 16 MB", r["hwm"] < 16 * 1024,
               "sampled peak: %d KiB anonymous + %d KiB file-backed (shared libraries)" % (r["anon"], r["file"]))
        assert r["stored_acked"] == n, "acked_seq in the store is %d" % r["stored_acked"]
        if args.variants:
            for be, inf, extra_bytes in ((100, 16, ""), (2000, 16, "batch_max_bytes = 1048576"),
                                         (500, 1, ""), (500, 64, ""), (2000, 64, "batch_max_bytes = 1048576")):
                label = "%d ev, window %d" % (be, inf)
                extra = "batch_max_events = %d\ninflight_max = %d\n%s" % (be, inf, extra_bytes)
                rv = run_once(tmp, template, n, label, extra, extra_bytes)
                record("drain", "drain rate, batch_max_events %d, inflight_max %d" % (be, inf), rv["rate"],
                       "events/s", note=extra_bytes)
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    main()
