"""Defence in depth below the session check: a stored event whose id names
another tenant (a damaged or tampered store) is never published on this
tenant's connection; it goes to quarantine with the reason, is counted, and
the tenant's other events still flow."""
import json
import sqlite3

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, free_port


def test(tmp):
    port = free_port()
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    sc = PtyScanner(tmp, "a")
    gw = Gateway(tmp, port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link}]).start()
    broker = sub = None
    for i in range(10):  # broker down: the events wait in the store
        sc.scan("]C0T%02d" % i)
    wait_until(lambda: json.loads(gw.cli("status", "--json").stdout)["tenants"][0]["last_seq"] == 11, 10,
               what="events committed")
    assert gw.stop() == 0
    con = sqlite3.connect(gw.db())
    body = con.execute("select body from events where stream='acme' and seq=5").fetchone()[0]
    forged = body.replace('"id":"gw-test-01/acme/5"', '"id":"gw-test-01/globex/5"')
    assert forged != body
    con.execute("update events set body=? where stream='acme' and seq=5", (forged,))
    con.commit()
    con.close()
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "globex": "globex-pw-Zk81",
                          "site-test-dc1": "site-pass-5k2j"}, site_users=["site-test-dc1"], port=port).start()
    sub = Subscriber(port).start()
    gw.start()
    wait_until(lambda: json.loads(gw.cli("status", "--json").stdout)["tenants"][0]["backlog"] == 0, 15,
               what="outbox drained")
    sub.wait_events(10, tenant="acme")
    seqs = [ev["seq"] for _, ev in sub.events("acme")]
    assert seqs == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12], seqs  # 12: "connected" of this start
    assert not sub.events("globex"), "the forged event went out"
    for _, payload, _ in sub.snapshot():
        assert b"globex/5" not in payload
    q = json.loads(gw.cli("quarantine", "list", "--json").stdout)
    rows = q if isinstance(q, list) else q.get("quarantine", q.get("items", q.get("events", [])))
    assert any("another stream" in r["reason"] for r in rows), q
    st = json.loads(gw.cli("status", "--json").stdout)["tenants"][0]
    assert st["isolation_refusals"] >= 1, st
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
