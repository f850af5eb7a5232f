"""Quarantine through the CLI: scans on a `tenant = by-gs1` device whose GS1
company prefix no tenant owns are quarantined and never published; `list`
shows them; `assign ID acme` publishes the event on acme's topic with a new
seq and "quarantine_id"; `drop` removes another (counted); assigning to a
tenant that is not configured or an unknown id fails with exit 1; both
actions are audited with uid, tenant and the quarantine id."""
import json
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, PREFIX

# GTIN 09506000134352: company prefix 9506000, owned by nobody below.
UNOWNED = ["]C10109506000134352", "]C10109506000134352" + "10LOT7", "]A0NOT-GS1-AT-ALL"]


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2", "extra": "gs1_prefixes = 0614141"},
               "globex": {"password": "globex-pw-Zk81", "extra": "gs1_prefixes = 0712345"}}
    broker = Broker(tmp, {k: v["password"] for k, v in tenants.items()} | {"site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sq = PtyScanner(tmp, "q")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-gs1", "profile": "zebra-ds2208-usb-cdc", "tenant": "by-gs1", "port": sq.link},
    ]).start()
    wait_until(lambda: json.loads(gw.cli("status", "--json").stdout)["devices"][0]["state"] == "connected",
               10, what="scanner connected")
    for text in UNOWNED:
        sq.scan(text)
    listing = wait_until(lambda: (lambda q: q if q["count"] == 3 else None)(
        json.loads(gw.cli("quarantine", "list", "--json").stdout)), 10, what="3 quarantined events")
    rows = listing["quarantine"]
    assert [r["event"]["data"]["text"] for r in rows] == UNOWNED, rows
    for r in rows:
        assert r["device"] == "dock-gs1" and r["reason"].startswith("by-gs1"), r
        assert r["stream"] is None, r
    assert "no tenant owns the company prefix" in rows[0]["reason"], rows[0]
    assert "no GS1 data" in rows[2]["reason"], rows[2]
    human = gw.cli("quarantine", "list").stdout
    assert "3 event(s) in quarantine" in human and "by-gs1" in human, human
    time.sleep(0.5)
    assert sub.events("acme") == [] and sub.events("globex") == [], "a quarantined event was published"

    ids = [r["id"] for r in rows]
    # Refusals: unconfigured tenant, unknown id, malformed arguments.
    r = gw.cli("quarantine", "assign", str(ids[0]), "initech", check=False)
    assert r.returncode == 1 and "unknown tenant" in r.stderr, r
    r = gw.cli("quarantine", "assign", "999999", "acme", check=False)
    assert r.returncode == 1 and "999999" in r.stderr, r
    r = gw.cli("quarantine", "drop", "999999", check=False)
    assert r.returncode == 1, r
    assert gw.cli("quarantine", "assign", "x", "acme", check=False).returncode == 2
    assert gw.cli("quarantine", "assign", "1", check=False).returncode == 2
    assert gw.cli("quarantine", "frobnicate", check=False).returncode == 2
    assert json.loads(gw.cli("audit", "list", "--json").stdout)["entries"] == []

    # Assign the first to acme: published on acme's topic with a new seq.
    r = gw.cli("quarantine", "assign", str(ids[0]), "acme")
    assert "assigned to tenant acme as seq" in r.stdout, r.stdout
    got = sub.wait_events(1, tenant="acme")
    evs = [e for t, e in got if e.get("quarantine_id") == ids[0]]
    assert len(evs) == 1, got
    ev = evs[0]
    topic = [t for t, e in got if e is ev][0]
    assert topic == "%s/acme/%s/events" % (PREFIX, gw.gateway_id), topic
    assert ev["data"]["text"] == UNOWNED[0] and ev["device"] == "dock-gs1", ev
    assert ev["id"] == "%s/acme/%d" % (gw.gateway_id, ev["seq"]), ev
    assert sub.events("globex") == []

    # Drop the second; the third stays.
    r = gw.cli("quarantine", "drop", str(ids[1]))
    assert "dropped" in r.stdout
    left = json.loads(gw.cli("quarantine", "list", "--json").stdout)
    assert [x["id"] for x in left["quarantine"]] == [ids[2]], left

    # Both actions audited, with uid 0, tenant and the quarantine id and reason.
    entries = json.loads(gw.cli("audit", "list", "--json").stdout)["entries"]
    assert [e["action"] for e in entries] == ["quarantine-assign", "quarantine-drop"], entries
    a, d = entries
    assert a["uid"] == 0 and a["tenant"] == "acme", a
    assert "quarantine_id=%d" % ids[0] in a["detail"] and "seq=%d" % ev["seq"] in a["detail"], a
    assert "reason=by-gs1" in a["detail"], a
    assert d["uid"] == 0 and "quarantine_id=%d" % ids[1] in d["detail"] and "reason=by-gs1" in d["detail"], d
    assert "intact: 2 entries" in gw.cli("audit", "verify").stdout

    # The drop is counted durably.
    text = gw.cli("metrics").stdout
    assert 'dockside_accounted_events_total{tenant="",reason="quarantine_dropped"} 1' in text, text
    assert "dockside_quarantine_events 1" in text

    # A second assign of the same id fails: it left quarantine.
    r = gw.cli("quarantine", "assign", str(ids[0]), "globex", check=False)
    assert r.returncode == 1, r
    time.sleep(0.3)
    assert sub.events("globex") == []

    for secret in gw.secrets:
        assert secret not in gw.log()
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
