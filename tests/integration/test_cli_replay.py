"""`dockside replay --tenant T --from SEQ [--to SEQ]`: acknowledged events
of T arrive again with unchanged ids and content, on T's topic only (the
other tenant's topic gets nothing new); the replay is audited with uid,
tenant and range; an unknown tenant or a range with nothing retained fails
with exit 1 and a clear message; missing options are usage errors."""
import json
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, PREFIX

N = 10


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    broker = Broker(tmp, {k: v["password"] for k, v in tenants.items()} | {"site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-2", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link},
    ]).start()
    sub.wait_events(2, timeout=15)
    for i in range(N):
        sa.scan("]A0ACME-%03d" % i)
        sg.scan("]A0GLOBEX-%03d" % i)
    sub.wait_events(N + 1, tenant="acme")
    sub.wait_events(N + 1, tenant="globex")
    wait_until(lambda: all(t["backlog"] == 0 for t in
                           json.loads(gw.cli("status", "--json").stdout)["tenants"]), 10, what="all acked")
    first = {e["seq"]: (t, e) for t, e in sub.events("acme")}
    globex_before = len(sub.events("globex"))
    acme_before = len(sub.events("acme"))

    r = gw.cli("replay", "--tenant", "acme", "--from", "3", "--to", "7")
    assert "replaying tenant acme seq 3..7" in r.stdout, r.stdout
    wait_until(lambda: len(sub.events("acme")) >= acme_before + 5, 10, what="replayed events")
    time.sleep(0.5)
    again = sub.events("acme")[acme_before:]
    assert [e["seq"] for _, e in again] == [3, 4, 5, 6, 7], again
    for topic, ev in again:
        assert topic == "%s/acme/%s/events" % (PREFIX, gw.gateway_id), topic
        assert ev == first[ev["seq"]][1], "replayed event differs: %r vs %r" % (ev, first[ev["seq"]][1])
    assert len(sub.events("globex")) == globex_before, "replay leaked onto globex's topic"

    # Open-ended range: from 9 to the last acknowledged seq.
    r = gw.cli("replay", "--tenant", "acme", "--from", "9")
    assert "seq 9..%d" % (N + 1) in r.stdout, r.stdout
    wait_until(lambda: len(sub.events("acme")) >= acme_before + 5 + (N + 1 - 8), 10, what="open replay")

    # Failures.
    r = gw.cli("replay", "--tenant", "initech", "--from", "1", check=False)
    assert r.returncode == 1 and "unknown tenant" in r.stderr, r
    r = gw.cli("replay", "--tenant", "acme", "--from", "500", check=False)
    assert r.returncode == 1 and "no retained" in r.stderr, r
    assert gw.cli("replay", "--tenant", "acme", check=False).returncode == 2
    assert gw.cli("replay", "--from", "1", check=False).returncode == 2
    assert gw.cli("replay", "--tenant", "acme", "--from", "5", "--to", "2", check=False).returncode == 2
    assert gw.cli("replay", "--tenant", "acme", "--from", "-3", check=False).returncode == 2

    entries = json.loads(gw.cli("audit", "list", "--json").stdout)["entries"]
    assert [(e["action"], e["tenant"], e["uid"]) for e in entries] == [("replay", "acme", 0)] * 2, entries
    assert "from_seq=3 to_seq=7" in entries[0]["detail"], entries[0]
    assert "from_seq=9 to_seq=%d" % (N + 1) in entries[1]["detail"], entries[1]
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
