"""kill -9 at random moments during ingest and drain, 50 rounds: afterwards
every committed event has reached the broker (checked by id from a
subscriber), seq has no gap, duplicates are identical repeats only, and
PRAGMA integrity_check is ok. Every third round runs with the broker down,
so kills also land while a backlog drains after reconnecting."""
import fcntl
import json
import os
import random
import sqlite3
import threading
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, assert_gapless_in_order

ROUNDS = 50


def test(tmp):
    rnd = random.Random(20261204)
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    users = {"acme": "acme-pw-7Hq2", "globex": "globex-pw-Zk81", "site-test-dc1": "site-pass-5k2j"}
    broker = Broker(tmp, users, site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    old_subs = []  # a new subscriber after each broker restart; keep what each saw
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-a", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-g", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link}],
        log_level="info")
    stop_feed = threading.Event()
    counter = [0]

    for s in (sa, sg):  # a full pty buffer must not block the feeder
        fl = fcntl.fcntl(s.master, fcntl.F_GETFL)
        fcntl.fcntl(s.master, fcntl.F_SETFL, fl | os.O_NONBLOCK)

    def feed():
        while not stop_feed.is_set():
            i = counter[0]
            counter[0] += 1
            try:
                os.write(sa.master, b"]C0K%06d\r" % i)
                if i % 2 == 0:
                    os.write(sg.master, b"]C0G%06d\r" % i)
            except BlockingIOError:
                pass
            time.sleep(0.002)
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        for r in range(ROUNDS):
            broker_down = r % 3 == 2
            if broker_down:
                time.sleep(0.3)  # deliveries of what the broker acknowledged finish first
                broker.stop()
            elif broker.proc is None:
                broker.start()
                sub.stop()
                old_subs.append(sub)
                sub = Subscriber(broker.port).start()
            gw.start(wait_running=False)
            time.sleep(rnd.uniform(0.05, 0.6))
            rc = gw.kill9()
            assert rc == -9, "round %d: dockside exited by itself (%s):\n%s" % (r, rc, gw.log()[-2000:])
        stop_feed.set()
        feeder.join()
        if broker.proc is None:
            broker.start()
            sub.stop()
            old_subs.append(sub)
            sub = Subscriber(broker.port).start()
        # Retained state messages are not part of this check; events are.
        gw.start()
        con = sqlite3.connect(gw.db())

        def drained():
            rows = con.execute("select stream, last_seq, acked_seq from streams").fetchall()
            return rows and all(last == acked for _, last, acked in rows)
        wait_until(drained, 60, interval=0.2, what="backlog drained")
        assert gw.stop() == 0
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        for tenant in ("acme", "globex"):
            stored = con.execute("select seq, body from events where stream=? order by seq",
                                 (tenant,)).fetchall()
            seqs = [s for s, _ in stored]
            assert seqs and seqs == list(range(1, len(seqs) + 1)), "%s: gap in stored seq" % tenant
            # Subscriber side: every stored event arrived, identical by id.
            # Subscribers are replaced only while the daemon is down (the
            # backlog waits in the store), so together they saw everything.
            arrived = [ev for s_ in old_subs + [sub] for _, ev in s_.events(tenant)]
            got = {}
            for ev in arrived:
                got.setdefault(ev["id"], []).append(ev)
            for seq, body in stored:
                ev = json.loads(body)
                copies = got.get(ev["id"])
                assert copies, "%s: committed event %s never reached the broker" % (tenant, ev["id"])
                assert all(c == ev for c in copies), "%s: duplicate %s differs" % (tenant, ev["id"])
            assert_gapless_in_order(arrived, tenant)  # first arrivals in seq order
            dups = len(arrived) - len({e["id"] for e in arrived})
            print("%s: %d events committed, %d arrivals, %d duplicate arrivals" %
                  (tenant, len(stored), len(arrived), dups))
        print("%d scans fed over %d kill -9 rounds" % (counter[0], ROUNDS))
    finally:
        stop_feed.set()
        gw.stop()
        sub.stop()
        broker.stop()
        sa.close()
        sg.close()


if __name__ == "__main__":
    run_test(test)
