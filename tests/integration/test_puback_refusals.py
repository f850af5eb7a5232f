"""PUBACK reason codes decide an event's fate. Against a broker that answers
with chosen reason codes:
- 0x97 (quota exceeded) for a while: the batch is retried after a pause and
  everything is delivered in order, nothing quarantined;
- 0x87 (not authorized) for one tenant: that batch goes to quarantine with
  the reason, an alarm is raised, and the other tenant keeps flowing."""
import json
import time

from harness import Gateway, PtyScanner, run_test, wait_until, assert_gapless_in_order
from fake_broker import FakeBroker


def events_of(broker, tenant, accepted_only=True):
    out = []
    for user, topic, payload, reason in broker.snapshot():
        if not topic.endswith("/events") or topic.split("/")[2] != tenant:
            continue
        if accepted_only and reason >= 0x80:
            continue
        out += json.loads(payload)["events"]
    return out


def test_quota_exceeded_is_retried(tmp):
    refused = {"n": 0}

    def policy(user, topic, payload, n):
        if topic.endswith("/events") and "/acme/" in topic and refused["n"] < 3:
            refused["n"] += 1
            return 0x97
        return 0
    broker = FakeBroker(policy)
    sc = PtyScanner(tmp, "q")
    gw = Gateway(tmp, broker.port, {"acme": {"password": "acme-pw-7Hq2"}}, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link}],
        gateway_id="gw-quota").start()
    for i in range(30):
        sc.scan("]C0Q%03d" % i)
    wait_until(lambda: len({e["seq"] for e in events_of(broker, "acme")}) >= 31, 30, what="all accepted")
    evs = events_of(broker, "acme")
    order = assert_gapless_in_order(evs, "acme")
    assert order == list(range(1, 32)), order
    assert refused["n"] == 3
    log = gw.log()
    assert "refused batch" in log and "quota" in log.lower(), log[-3000:]
    assert "quarantined" not in log
    st = json.loads(gw.cli("status", "--json").stdout)
    t = [x for x in st["tenants"] if x["name"] == "acme"][0]
    assert t["backlog"] == 0 and t["refusals_transient"] == 3, t


PERMANENT = {b"POISON87": 0x87, b"POISON90": 0x90, b"POISON99": 0x99}


def test_not_authorized_quarantines_one_tenant(tmp):
    def policy(user, topic, payload, n):
        if topic.endswith("/events"):
            for marker, code in PERMANENT.items():
                if marker in payload:
                    return code
        return 0
    broker = FakeBroker(policy)
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "g-pw-1"}}, [
        {"name": "dock-a", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-g", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link}],
        gateway_id="gw-refuse").start()
    wait_until(lambda: len(events_of(broker, "acme")) >= 1, 10, what="acme connected event")
    sa.scan("]C0POISON87")
    wait_until(lambda: any(r == 0x87 for _, _, _, r in broker.snapshot()), 10, what="0x87")
    time.sleep(0.3)
    for i in range(20):
        sa.scan("]C0A%03d" % i)
        sg.scan("]C0G%03d" % i)
    wait_until(lambda: len(events_of(broker, "globex")) >= 21, 15, what="globex events")
    wait_until(lambda: len(events_of(broker, "acme")) >= 21, 15, what="acme events after the refusal")
    acme = events_of(broker, "acme")
    assert all("POISON" not in e["data"]["text"] for e in acme if e["kind"] == "scan")
    seqs = [e["seq"] for e in acme]
    assert 2 not in seqs and seqs == sorted(seqs), seqs  # seq 2 was the refused batch
    log = gw.log()
    assert "ALARM" in log and "quarantined" in log and "0x87" in log, log[-3000:]
    st = json.loads(gw.cli("status", "--json").stdout)
    t = [x for x in st["tenants"] if x["name"] == "acme"][0]
    assert t["alarm"] is True and t["last_refusal_reason"] == 0x87, t
    assert t["backlog"] == 0, t
    q = json.loads(gw.cli("quarantine", "list", "--json").stdout)
    rows = q if isinstance(q, list) else q.get("quarantine", q.get("items", []))
    assert any("0x87" in r["reason"] for r in rows), q
    # 0x90 (topic name invalid) and 0x99 (payload format invalid) are
    # permanent too: quarantined with their reason, never retried.
    for marker in (b"POISON90", b"POISON99"):
        sa.scan("]C0" + marker.decode())
        time.sleep(0.3)
    sa.scan("]C0AFTER")
    wait_until(lambda: any(e["data"].get("text") == "]C0AFTER" for e in events_of(broker, "acme")), 15,
               what="acme's scan after the refusals")
    q = json.loads(gw.cli("quarantine", "list", "--json").stdout)
    rows = q if isinstance(q, list) else q.get("quarantine", q.get("items", []))
    for code in ("0x90", "0x99"):
        assert any(code in r["reason"] for r in rows), (code, rows)
    refused = [r for _, _, _, r in broker.snapshot() if r >= 0x80]
    assert sorted(refused) == [0x87, 0x90, 0x99], refused  # each refused once, never retried
    # The alarm reached the site stream.
    site = [json.loads(p) for u, t_, p, r in broker.snapshot() if "/_site/" in t_ and t_.endswith("/events")]
    alarms = [e for b in site for e in b["events"] if e["data"].get("event") == "alarm"]
    assert alarms and alarms[0]["data"]["tenant"] == "acme", alarms


def test_window_respects_receive_maximum(tmp):
    """The broker's Receive Maximum (2 here) caps what is in flight, even
    with inflight_max 8 and a backlog of 120 events in 1-event batches; and
    the window is used: a second message goes out before the first PUBACK."""
    broker = FakeBroker(receive_maximum=2, ack_delay=0.05)
    sc = PtyScanner(tmp, "w")
    gw = Gateway(tmp, broker.port, {"acme": {"password": "acme-pw-7Hq2"}}, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link}],
        gateway_id="gw-window", broker_extra="batch_max_events = 1\ninflight_max = 8").start()
    sc.write(b"".join(b"]C0W%04d\r" % i for i in range(120)))
    wait_until(lambda: len({e["seq"] for e in events_of(broker, "acme")}) >= 121, 60, what="all delivered")
    evs = events_of(broker, "acme")
    assert_gapless_in_order(evs, "acme")
    assert all(len(json.loads(p)["events"]) == 1 for u, t, p, r in broker.snapshot() if t.endswith("/events"))
    peak = broker.max_outstanding.get("acme", 0)
    assert peak == 2, "in flight at once: %d (Receive Maximum 2)" % peak
    print("acme: 121 single-event messages, at most %d in flight" % peak)


if __name__ == "__main__":
    run_test(test_window_respects_receive_maximum)
    run_test(test_quota_exceeded_is_retried)
    run_test(test_not_authorized_quarantines_one_tenant)
