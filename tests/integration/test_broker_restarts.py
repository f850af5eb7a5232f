"""The broker is killed and restarted repeatedly while scans flow: nothing
is lost, every tenant's events arrive in seq order (duplicates only as
identical repeats), and the outbox drains completely at the end."""
import json
import random
import signal
import sqlite3
import threading
import time

from tcp_proxy import TcpProxy
from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, assert_gapless_in_order

RESTARTS = 8


def test(tmp):
    rnd = random.Random(7)
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "globex": "globex-pw-Zk81",
                          "site-test-dc1": "site-pass-5k2j"}, site_users=["site-test-dc1"]).start()
    subs = [Subscriber(broker.port).start()]
    # The gateway reaches the broker through a proxy, so the test can let it
    # in only once a subscriber listens again after each restart (mosquitto
    # without a subscriber acknowledges and drops, which is no loss of ours).
    proxy = TcpProxy(broker.port)
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, proxy.port, tenants, [
        {"name": "dock-a", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-g", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link}],
        log_level="info").start()
    stop = threading.Event()
    sent = {"acme": [], "globex": []}

    def feed():
        i = 0
        while not stop.is_set():
            sa.scan("]C0A%05d" % i)
            sent["acme"].append("]C0A%05d" % i)
            if i % 3 == 0:
                sg.scan("]C0G%05d" % i)
                sent["globex"].append("]C0G%05d" % i)
            i += 1
            time.sleep(0.003)
    t = threading.Thread(target=feed, daemon=True)
    t.start()
    try:
        for r in range(RESTARTS):
            time.sleep(rnd.uniform(0.2, 0.8))
            proxy.block()
            # What the broker acknowledged must reach the subscriber before
            # the broker dies: a broker killed between its PUBACK and its
            # delivery loses the message itself (no persistence here).
            time.sleep(0.3)
            broker.stop(signal.SIGKILL if r % 2 else signal.SIGTERM)
            subs[-1].stop()  # no auto-reconnect: each subscriber's list stays chronological
            time.sleep(rnd.uniform(0.1, 0.6))
            broker.start()
            subs.append(Subscriber(broker.port).start())
            proxy.unblock()
        stop.set()
        t.join()
        con = sqlite3.connect(gw.db())
        wait_until(lambda: all(l == a for l, a in con.execute("select last_seq, acked_seq from streams")),
                   60, interval=0.2, what="outbox drained")
        for tenant in ("acme", "globex"):
            arrived = [ev for s in subs for _, ev in s.events(tenant)]
            order = assert_gapless_in_order(arrived, tenant)
            texts = []
            seen = set()
            for ev in arrived:
                if ev["id"] not in seen and ev["kind"] == "scan":
                    texts.append(ev["data"]["text"])
                seen.add(ev["id"])
            assert texts == sent[tenant], "%s: %d sent, %d arrived; first missing %r" % (
                tenant, len(sent[tenant]), len(texts),
                next((x for x in sent[tenant] if x not in set(texts)), None))
            print("%s: %d scans, %d arrivals (%d duplicates) across %d broker restarts" % (
                tenant, len(texts), len(arrived), len(arrived) - len(order), RESTARTS))
        assert gw.stop() == 0
    finally:
        stop.set()
        gw.stop()
        for s in subs:
            s.stop()
        broker.stop()
        proxy.stop()
        sa.close()
        sg.close()


if __name__ == "__main__":
    run_test(test)
