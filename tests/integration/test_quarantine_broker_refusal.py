"""A real mosquitto refuses one tenant's publishes (its broker identity is
confined to other topics, PUBACK 0x87): `status` shows that tenant's alarm
with reason 0x87 and its permanent refusals while the other tenant keeps
delivering; `quarantine list` shows the refused events with their original
stream and seq; metrics count them; assigning one to the healthy tenant
publishes it there with a new seq."""
import json

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, PREFIX


def test(tmp):
    # globex's credentials log in as "globex-user": the ACL pattern
    # dockside/v1/%u/# does not cover dockside/v1/globex/...
    tenants = {"acme": {"password": "acme-pw-7Hq2"},
               "globex": {"password": "globex-pw-Zk81", "username": "globex-user"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "globex-user": "globex-pw-Zk81",
                          "site-test-dc1": "site-pass-5k2j"}, site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-2", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link},
    ]).start()

    def status():
        return json.loads(gw.cli("status", "--json").stdout)

    def tenant(st, name):
        return {t["name"]: t for t in st["tenants"]}[name]

    sub.wait_events(1, tenant="acme", timeout=15)
    for i in range(3):
        sg.scan("]A0GLOBEX-%d" % i)
        sa.scan("]A0ACME-%d" % i)
    sub.wait_events(4, tenant="acme")
    st = wait_until(lambda: (lambda s: s if tenant(s, "globex")["alarm"] else None)(status()), 15,
                    what="globex alarm")
    g = tenant(st, "globex")
    assert g["last_refusal_reason"] == 0x87 and g["refusals_permanent"] >= 1, g
    assert g["quarantined"] >= 1, g
    a = tenant(st, "acme")
    assert a["alarm"] is False and a["backlog"] == 0 and a["last_seq"] == 4, a
    human = gw.cli("status").stdout
    assert "YES (0x87)" in human, human
    assert sub.events("globex") == []

    # Everything globex committed ends up in quarantine, with its origin.
    q = wait_until(lambda: (lambda q: q if q["count"] == 4 else None)(
        json.loads(gw.cli("quarantine", "list", "--json").stdout)), 15, what="globex events in quarantine")
    rows = q["quarantine"]
    assert all(r["stream"] == "globex" and "0x87" in r["reason"] for r in rows), rows
    assert sorted(r["orig_seq"] for r in rows) == [1, 2, 3, 4], rows
    text = gw.cli("metrics").stdout
    assert 'dockside_tenant_alarm{tenant="globex"} 1' in text
    assert 'dockside_tenant_alarm{tenant="acme"} 0' in text
    assert 'dockside_quarantine_events 4' in text
    assert 'dockside_publish_refusals_total{tenant="globex",reason="permanent"}' in text

    # The operator decides one of them belongs to acme after all.
    scan_row = [r for r in rows if r["event"]["kind"] == "scan"][0]
    gw.cli("quarantine", "assign", str(scan_row["id"]), "acme")
    got = wait_until(lambda: [(t, e) for t, e in sub.events("acme") if e.get("quarantine_id") == scan_row["id"]],
                     10, what="assigned event on acme's topic")
    topic, ev = got[0]
    assert topic == "%s/acme/%s/events" % (PREFIX, gw.gateway_id) and ev["seq"] == 5, got
    assert ev["data"]["text"] == scan_row["event"]["data"]["text"]
    entries = json.loads(gw.cli("audit", "list", "--json").stdout)["entries"]
    assert entries[-1]["action"] == "quarantine-assign" and entries[-1]["tenant"] == "acme", entries
    for secret in gw.secrets:
        assert secret not in gw.log() and secret not in human and secret not in text
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
