"""End-to-end latency through the real daemon, and the noisy-neighbour
ratio.

    bench_latency.py e2e   [--rate 1000] [--seconds 10]
    bench_latency.py noisy [--seconds 15] [--backlog 100000] [--flood 5000]

A pty scanner (a forked writer process, so the measuring side does not
share its interpreter) writes scans whose text carries CLOCK_MONOTONIC at
the moment of the write, at a fixed rate. An MQTT v5 subscriber on the same
machine (QoS 1) takes CLOCK_MONOTONIC when each events message arrives; the
latency of an event is arrival - write. mosquitto forwards a QoS 1 publish
to its subscribers and answers the publisher's PUBACK in the same pass, so
the subscriber's arrival time stands in for the PUBACK time (within the
broker's own scheduling; the daemon does not log per-event timestamps).

e2e: one tenant, --rate scans/s for --seconds, once with the default
commit_interval_ms (5) and once with 1.
noisy: tenant B scans at 10/s for --seconds alone (quiet), then the daemon
is stopped, tenant A's outbox is prefilled with --backlog events, the
daemon starts again and A's scanner floods at --flood scans/s while B
scans at 10/s as before. B's p50/p99 in both phases, and their ratio.
"""
import argparse
import json
import os
import threading
import time

import paho.mqtt.client as mqtt

from benchlib import (PREFIX, PtyScanner, broker, gateway, percentile, prefill, record, tmpdir, wait_until)
import harness

WARMUP_S = 0.5


class LatencySink:
    """Subscribes to one tenant's events; records (write ns, arrival ns)."""

    def __init__(self, port, tenant, marker):
        self.marker = marker.encode()
        self.samples = []
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.topic = "%s/%s/+/events" % (PREFIX, tenant)
        self.c = mqtt.Client(client_id="bench-lat-%s-%d" % (tenant, os.getpid()), protocol=mqtt.MQTTv5)
        self.c.username_pw_set(harness.ADMIN_USER, harness.ADMIN_PASS)
        self.c.on_connect = lambda c, u, f, rc, p=None: c.subscribe(self.topic, qos=1)
        self.c.on_subscribe = lambda *a: self.ready.set()
        self.c.on_message = self._msg
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        if not self.ready.wait(10):
            raise RuntimeError("latency subscriber could not subscribe")

    def _msg(self, c, u, m):
        t = time.monotonic_ns()
        if self.marker not in m.payload:
            return
        for ev in json.loads(m.payload)["events"]:
            text = ev.get("data", {}).get("text", "")
            if ev["kind"] == "scan" and text.startswith("]A0" + self.marker.decode()):
                with self.lock:
                    self.samples.append((int(text[3 + len(self.marker):]), t))

    def take(self):
        with self.lock:
            s, self.samples = self.samples, []
        return s

    def stop(self):
        self.c.loop_stop()
        self.c.disconnect()


def fork_writer(fd, rate, seconds, make_line, chunk=1):
    """Forks a process writing rate lines/s to fd for seconds, `chunk`
    lines per write; returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    try:
        period = 1e9 * chunk / rate
        t0 = time.monotonic_ns()
        i = 0
        for k in range(int(rate * seconds / chunk)):
            target = t0 + k * period
            now = time.monotonic_ns()
            if target > now:
                time.sleep((target - now) / 1e9)
            buf = b"".join(make_line(i + j) for j in range(chunk))
            i += chunk
            view = memoryview(buf)
            while view:
                view = view[os.write(fd, view):]
    finally:
        os._exit(0)


def timestamped(marker):
    m = marker.encode()
    return lambda i: b"]A0" + m + b"%d\r" % time.monotonic_ns()


def stats_ms(samples, t_start_ns):
    lat = [(t - w) / 1e6 for w, t in samples if w >= t_start_ns + WARMUP_S * 1e9]
    if not lat:
        raise RuntimeError("no latency samples")
    return len(lat), percentile(lat, 50), percentile(lat, 99), max(lat)


def measure(fd, sink, rate, seconds, marker):
    sink.take()
    t_start = time.monotonic_ns()
    pid = fork_writer(fd, rate, seconds, timestamped(marker))
    os.waitpid(pid, 0)
    expected = int(rate * seconds)
    try:
        wait_until(lambda: len(sink.samples) >= expected, 10, what="%d samples" % expected)
    except AssertionError:
        pass
    samples = sink.take()
    n, p50, p99, mx = stats_ms(samples, t_start)
    return n, p50, p99, mx, len(samples), expected


def e2e(args):
    tmp = tmpdir("dockside-bench-latency-")
    b = broker(tmp)
    sc = PtyScanner(tmp, "lat")
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    dev = [{"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link,
            "station": "dock-1"}]
    sink = LatencySink(b.port, "acme", "L")
    try:
        for interval in (5, 1):
            gw = gateway(tmp, b.port, tenants, dev, agent_extra="commit_interval_ms = %d" % interval).start()
            try:
                time.sleep(0.5)  # device connected, first messages out
                n, p50, p99, mx, got, exp = measure(sc.master, sink, args.rate, args.seconds, "L")
                print("commit_interval_ms %d: %d/%d events back, %d measured: p50 %.2f ms, p99 %.2f ms, "
                      "max %.2f ms" % (interval, got, exp, n, p50, p99, mx), flush=True)
                label = "commit_interval_ms %d%s" % (interval, " (default)" if interval == 5 else "")
                record("latency", "p50 at %d/s, %s" % (args.rate, label), p50, "ms")
                record("latency", "p99 at %d/s, %s" % (args.rate, label), p99, "ms", "< 10 ms", p99 < 10,
                       "%d samples, max %.1f ms" % (n, mx))
                if got < exp:
                    print("WARNING: %d of %d events did not arrive within 10 s" % (exp - got, exp))
            finally:
                gw.stop()
    finally:
        sink.stop()
        b.stop()
        sc.close()
        tmp.cleanup()


def noisy(args):
    tmp = tmpdir("dockside-bench-noisy-")
    b = broker(tmp)
    sa, sb = PtyScanner(tmp, "a"), PtyScanner(tmp, "b")
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    devs = [{"name": "dock-a", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
            {"name": "dock-b", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sb.link}]
    sink = LatencySink(b.port, "globex", "B")
    gw = gateway(tmp, b.port, tenants, devs)
    try:
        # Quiet: B alone.
        gw.start()
        time.sleep(0.5)
        q = measure(sb.master, sink, 10, args.seconds, "B")
        gw.stop()
        print("quiet: B %d samples, p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (q[0], q[1], q[2], q[3]), flush=True)
        # Noisy: A's backlog, A flooding, B as before.
        last = prefill(gw.data_dir, "acme", args.backlog)
        gw.start()
        t_start = time.monotonic_ns()
        sink.take()
        flood = fork_writer(sa.master, args.flood, args.seconds + 1, lambda i: b"]A0FLOOD%08d\r" % i,
                            chunk=max(1, args.flood // 100))
        pid = fork_writer(sb.master, 10, args.seconds, timestamped("B"))
        os.waitpid(pid, 0)
        os.waitpid(flood, 0)
        wait_until(lambda: len(sink.samples) >= 10 * args.seconds, 20, what="B's events")
        samples = sink.take()
        nn = stats_ms(samples, t_start)
        st = json.loads(gw.cli("status", "--json").stdout)
        a = [t for t in st["tenants"] if t["name"] == "acme"][0]
        gw.stop()
        flood_events = a["last_seq"] - last
        print("noisy: A backlog %d + %d flood events committed (%d acked); B %d samples, p50 %.2f ms, "
              "p99 %.2f ms, max %.2f ms" % (args.backlog, flood_events, a["acked_seq"], nn[0], nn[1], nn[2],
                                            nn[3]), flush=True)
        note = "A: %d backlog + %d scans at %d/s" % (args.backlog, flood_events, args.flood)
        record("noisy", "B p50 quiet / with A flooding", "%.2f / %.2f ms" % (q[1], nn[1]), "",
               note="ratio %.2f" % (nn[1] / q[1]))
        record("noisy", "B p99 quiet / with A flooding", "%.2f / %.2f ms" % (q[2], nn[2]), "",
               note="ratio %.2f; %s" % (nn[2] / q[2], note))
    finally:
        gw.stop()
        sink.stop()
        b.stop()
        sa.close()
        sb.close()
        tmp.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("e2e", "noisy"))
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--backlog", type=int, default=100000)
    ap.add_argument("--flood", type=int, default=5000)
    args = ap.parse_args()
    if args.mode == "e2e":
        args.seconds = args.seconds or 10
        e2e(args)
    else:
        args.seconds = args.seconds or 15
        noisy(args)


if __name__ == "__main__":
    main()
