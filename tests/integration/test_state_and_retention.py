"""Reconciliation watermarks and retention: each tenant's retained `state`
message follows acknowledgements (first retained seq, last seq, last
acknowledged seq, counts by kind) at a bounded rate; acknowledged events
past retention_events are pruned (first_seq moves up), and a replay can
only send what is still retained."""
import json
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, PREFIX

RETAIN = 30


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sc = PtyScanner(tmp, "a")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sc.link}],
        agent_extra="retention_events = %d\nprune_interval_s = 1" % RETAIN).start()
    state_topic = "%s/acme/%s/state" % (PREFIX, gw.gateway_id)

    def states():
        return [json.loads(p) for t, p, r in sub.snapshot() if t == state_topic]
    t0 = time.monotonic()
    for i in range(100):
        sc.scan("]C0S%03d" % i)
        time.sleep(0.02)
    sub.wait_events(101, tenant="acme")
    wait_until(lambda: states() and states()[-1]["acked_seq"] == 101, 10, what="state with all acked")
    elapsed = time.monotonic() - t0
    st = states()[-1]
    assert st["tenant"] == "acme" and st["gateway"] == gw.gateway_id and st["last_seq"] == 101, st
    assert st["counts"] == {"scan": 100, "weight": 0, "conveyor": 0, "device": 1}, st
    assert st["backlog"] == 0, st
    # Bounded rate: at most about one state message per second (+1 for the
    # first and the final), although 100 acknowledgements arrived.
    assert len(states()) <= elapsed + 3, (len(states()), elapsed)
    # Retained: a late subscriber gets the latest one.
    late = Subscriber(broker.port, topic=state_topic).start()
    wait_until(lambda: late.snapshot(), 5, what="retained state")
    assert json.loads(late.snapshot()[-1][1])["acked_seq"] == 101
    late.stop()
    # Pruning keeps the newest RETAIN acknowledged events.
    wait_until(lambda: states()[-1]["first_seq"] == 101 - RETAIN + 1, 10, what="prune reflected in state")
    r = gw.cli("replay", "--tenant", "acme", "--from", "1", "--to", "10", check=False)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    before = len(sub.events("acme"))
    gw.cli("replay", "--tenant", "acme", "--from", "80", "--to", "85")
    wait_until(lambda: len(sub.events("acme")) >= before + 6, 10, what="replayed events")
    replayed = [ev for _, ev in sub.events("acme")][before:]
    assert [e["seq"] for e in replayed] == list(range(80, 86)), [e["seq"] for e in replayed]
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
