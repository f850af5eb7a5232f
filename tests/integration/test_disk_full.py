"""The store's file system fills up (a small tmpfs): commits fail with
disk full, the failures are counted and visible in `status`, scans wait in
memory (bounded), nothing crashes and no committed event is lost; once
space is freed the daemon recovers by itself and every event is delivered
in order. Needs root (mount); CI runs as root."""
import json
import os
import sqlite3
import subprocess
import sys
import time

from tcp_proxy import TcpProxy
from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, assert_gapless_in_order, free_port


def test(tmp):
    if os.geteuid() != 0:
        print("test_disk_full needs root to mount a tmpfs")
        sys.exit(77)
    mnt = tmp.join("small-fs")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt], check=True)
    port = free_port()
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"], port=port)
    sc = PtyScanner(tmp, "a")
    proxy = TcpProxy(port)  # lets the gateway in only once the subscriber listens
    proxy.block()
    gw = None
    sub = None
    try:
        # Leave room for the schema and some events, then fill the rest.
        gw = Gateway(tmp, proxy.port, {"acme": {"password": "acme-pw-7Hq2"}}, [
            {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link}],
            data_dir=os.path.join(mnt, "data"), log_level="info").start()
        filler = os.path.join(mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:  # unbuffered, so the error comes here and not at close
            while True:
                os.write(fd, b"\0" * 65536)
        except OSError:
            pass
        finally:
            os.close(fd)
        os.truncate(filler, os.path.getsize(filler) - 400 * 1024)  # ~400 KiB free
        texts = []
        i = 0

        def status():
            return json.loads(gw.cli("status", "--json").stdout)
        while not status()["ingest"]["store_full"]:
            for _ in range(100):
                t = "]C0FULL-%05d-%s" % (i, "x" * 150)
                sc.scan(t)
                texts.append(t)
                i += 1
            time.sleep(0.05)
            assert i < 200000, "the store never reported disk full"
        time.sleep(0.5)
        for _ in range(50):  # more scans while full: they wait
            t = "]C0WAIT-%05d" % i
            sc.scan(t)
            texts.append(t)
            i += 1
        time.sleep(1.0)
        st = status()
        assert gw.proc.poll() is None, "daemon died on a full disk"
        assert st["ingest"]["store_full"] is True and st["ingest"]["commit_failures"] >= 1, st["ingest"]
        assert st["ingest"]["queued"] > 0, st["ingest"]
        assert "disk full" in gw.log()
        # Free the space: the daemon recovers without help.
        os.unlink(filler)
        wait_until(lambda: not status()["ingest"]["store_full"] and status()["ingest"]["queued"] == 0, 20,
                   what="recovery after space returned")
        broker.start()
        sub = Subscriber(port).start()
        proxy.unblock()
        total = len(texts) + 1  # + the device "connected" event
        sub.wait_events(total, tenant="acme", timeout=60)
        evs = [ev for _, ev in sub.events("acme")]
        assert_gapless_in_order(evs, "acme")
        got = [ev["data"]["text"] for ev in evs if ev["kind"] == "scan"]
        assert got == texts, "lost or reordered scans: %d sent, %d delivered" % (len(texts), len(got))
        con = sqlite3.connect(gw.db())
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        print("%d scans; store filled after ~%d; all delivered after recovery" % (len(texts), len(texts) - 50))
        assert gw.stop() == 0
    finally:
        if gw:
            gw.stop()
        if sub:
            sub.stop()
        broker.stop()
        proxy.stop()
        sc.close()
        subprocess.run(["umount", "-l", mnt])


if __name__ == "__main__":
    run_test(test)
