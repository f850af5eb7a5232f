"""Two tenants, one pty scanner each, a real mosquitto with an ACL that
confines each user to its tenant's topics: every scan arrives exactly once,
on its own tenant's topic, in seq order, with the contract's fields."""
import json

from harness import (Broker, Gateway, PtyScanner, Subscriber, run_test, check_event_fields,
                     assert_gapless_in_order, PREFIX)

N = 40


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    broker = Broker(tmp, {k: v["password"] for k, v in tenants.items()} | {"site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link,
         "station": "dock-1"},
        {"name": "dock-2", "profile": "honeywell-1950g-usb-serial", "tenant": "globex", "port": sg.link,
         "station": "dock-2"},
    ]).start()
    sub.wait_events(2, timeout=15)  # the two "connected" device events
    for i in range(N):
        sa.scan("]E0400638133393%d" % (i % 10))
        sg.scan("]A0GLOBEX-%05d" % i)
    sub.wait_events(N + 1, tenant="acme")
    sub.wait_events(N + 1, tenant="globex")
    for tenant, dev, st, text in (("acme", "dock-1", "dock-1", lambda i: "]E0400638133393%d" % (i % 10)),
                                  ("globex", "dock-2", "dock-2", lambda i: "]A0GLOBEX-%05d" % i)):
        got = sub.events(tenant)
        for topic, ev in got:
            assert topic == "%s/%s/%s/events" % (PREFIX, tenant, gw.gateway_id), topic
        evs = [ev for _, ev in got]
        order = assert_gapless_in_order(evs, tenant)
        assert order[0] == 1, order
        ids = [ev["id"] for ev in evs]
        assert len(ids) == len(set(ids)), "%s: an event arrived twice" % tenant
        scans = [ev for ev in evs if ev["kind"] == "scan"]
        assert len(scans) == N, (tenant, len(scans))
        for i, ev in enumerate(scans):
            check_event_fields(ev, gw.gateway_id, tenant, dev, st, "scan")
            assert ev["data"]["text"] == text(i), ev
        dev_events = [ev for ev in evs if ev["kind"] == "device"]
        assert dev_events and dev_events[0]["data"]["event"] == "connected", dev_events
    # No tenant's payload ever names the other tenant.
    for topic, batch in sub.batches():
        if "/_site/" in topic:
            continue
        tenant = topic.split("/")[2]
        assert batch["tenant"] == tenant and batch["gateway"] == gw.gateway_id and batch["v"] == 1
    # Health is retained on the site topic.
    health = [p for t, p, r in sub.snapshot() if t.endswith("/health")]
    assert health, "no health message"
    st = json.loads(gw.cli("status", "--json").stdout)
    for t in st["tenants"] + [st["site_session"]]:
        assert t["state"] == "connected" and t["connected_since"], t
    for t in st["tenants"]:
        assert t["backlog"] == 0 and t["last_seq"] == t["acked_seq"] == N + 1, t
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
