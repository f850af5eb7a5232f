"""Cloud commands are bound to the tenant whose cmd topic carries them.

The platform identity (cloud-ingest in the reference ACL) asks, on acme's
cmd topic, to replay globex's data: refused, counted in `status` and
`metrics`, audited with the tenant it named; nothing of globex is
published again, on any topic. The same on globex's topic naming acme.
Malformed commands (not JSON, not an object, unknown op, bad ranges, bad
UTF-8, empty) and an oversized one (> 4096 bytes) are refused and counted,
and the daemon keeps running. A valid replay on acme's topic republishes
acme's events with unchanged ids and content, on acme's topic only."""
import json
import time

import paho.mqtt.client as mqtt

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, PREFIX

CLOUD_PASS = "cloud-pw-3jd8"


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "globex": "globex-pw-Zk81", "site-test-dc1": "site-pass-5k2j",
                          "cloud-ingest": CLOUD_PASS}, site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-2", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link},
    ]).start()
    cloud = mqtt.Client(client_id="cloud-%d" % id(tmp), protocol=mqtt.MQTTv5)
    cloud.username_pw_set("cloud-ingest", CLOUD_PASS)
    cloud.connect("127.0.0.1", broker.port, 30)
    cloud.loop_start()

    def status():
        return {t["name"]: t for t in json.loads(gw.cli("status", "--json").stdout)["tenants"]}

    def send(tenant, payload):
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        info = cloud.publish("%s/%s/%s/cmd" % (PREFIX, tenant, gw.gateway_id), payload, qos=1)
        info.wait_for_publish(5)
        assert info.is_published()

    def wait_received(tenant, n):
        wait_until(lambda: status()[tenant]["commands_received"] >= n, 10,
                   what="%s to have received %d commands" % (tenant, n))

    try:
        # Subscriptions to the cmd topics are made on connect: wait for
        # the first events so the sessions are up.
        for i in range(5):
            sa.scan("]A0ACME-SECRET-%d" % i)
        for i in range(3):
            sg.scan("]A0GLOBEX-SECRET-%d" % i)
        sub.wait_events(6, tenant="acme")      # connected + 5 scans
        sub.wait_events(4, tenant="globex")
        wait_until(lambda: status()["acme"]["backlog"] == 0 and status()["globex"]["backlog"] == 0, 10,
                   what="both outboxes acknowledged")
        time.sleep(0.3)
        first = {ev["seq"]: ev for _, ev in sub.events("acme")}
        n_events = len(sub.events())

        # Cross-tenant requests.
        send("acme", {"op": "replay", "from": 1, "tenant": "globex"})
        send("acme", {"op": "replay", "from": 1, "to": 4, "tenant": "globex"})
        send("acme", {"op": "replay", "from": 1, "tenant": 7})
        send("globex", {"op": "replay", "from": 1, "tenant": "acme"})
        # Malformed and oversized ones.
        bad = [b"not json", b"[1,2,3]", b'"replay"', json.dumps({"op": "drop", "from": 1}),
               json.dumps({"op": "replay"}), json.dumps({"op": "replay", "from": 0}),
               json.dumps({"op": "replay", "from": "1"}), json.dumps({"op": "replay", "from": 5, "to": 2}),
               json.dumps({"op": "replay", "from": -1}), json.dumps({"op": "replay", "from": 1e300}),
               b'{"op":"replay","from":1,"x":"\xff\xfe"}', b"",
               json.dumps({"op": "replay", "from": 1, "pad": "x" * 5000})]
        for payload in bad:
            send("acme", payload)
        wait_received("acme", 3 + len(bad))
        wait_received("globex", 1)
        time.sleep(0.5)
        st = status()
        assert st["acme"]["commands_refused"] == 3 + len(bad), st["acme"]
        assert st["globex"]["commands_refused"] == 1, st["globex"]
        assert st["acme"]["replayed_events"] == 0 and st["globex"]["replayed_events"] == 0, st
        assert len(sub.events()) == n_events, "a refused command published events: %r" % \
            [(t, ev["id"]) for t, ev in sub.events()[n_events:]]
        assert gw.proc.poll() is None, "daemon died"
        log = gw.log()
        assert "command names another tenant's data" in log, log[-3000:]
        assert "oversized" in log, log[-3000:]

        # A valid replay on acme's own topic (naming acme is fine too).
        send("acme", {"op": "replay", "from": 2, "to": 4})
        send("acme", {"op": "replay", "from": 5, "tenant": "acme"})  # 5..6, the last acked
        wait_until(lambda: len(sub.events("acme")) >= len(first) + 5, 10, what="acme's replay")
        time.sleep(0.3)
        again = sub.events("acme")[len(first):]
        assert [ev["seq"] for _, ev in again] == [2, 3, 4, 5, 6], again
        for topic, ev in again:
            assert topic == "%s/acme/%s/events" % (PREFIX, gw.gateway_id), topic
            assert ev == first[ev["seq"]], "replayed event differs: %r vs %r" % (ev, first[ev["seq"]])
        # globex's events were published once, on globex's topic, never elsewhere.
        globex_texts = [ev["data"]["text"] for _, ev in sub.events("globex") if ev["kind"] == "scan"]
        assert globex_texts == ["]A0GLOBEX-SECRET-%d" % i for i in range(3)], globex_texts
        for topic, p, _ in sub.snapshot():
            if b"GLOBEX-SECRET" in p and not topic.endswith("/cmd"):
                assert topic == "%s/globex/%s/events" % (PREFIX, gw.gateway_id), topic
        st = status()
        assert st["acme"]["replayed_events"] == 5 and st["acme"]["commands_refused"] == 3 + len(bad), st["acme"]

        metrics = gw.cli("metrics").stdout
        assert 'dockside_commands_refused_total{tenant="acme"} %d' % (3 + len(bad)) in metrics, \
            [ln for ln in metrics.splitlines() if "commands" in ln]
        assert 'dockside_commands_refused_total{tenant="globex"} 1' in metrics

        entries = json.loads(gw.cli("audit", "list", "--json").stdout)["entries"]
        refused = [(e["tenant"], e["detail"]) for e in entries if e["action"] == "command-refused"]
        assert len(refused) == 4, entries
        assert all("source=cloud" in d and "another tenant" in d for _, d in refused), refused
        assert sum(1 for t, _ in refused if t == "acme") == 3, refused  # globex twice, and 7
        named = sorted(d.split("named_tenant=")[1] for t, d in refused if t == "acme")
        assert named == ["(invalid)", "globex", "globex"], refused
        assert sum(1 for t, _ in refused if t == "globex") == 1, refused
        replays = [e for e in entries if e["action"] == "replay"]
        assert len(replays) == 2 and all(e["tenant"] == "acme" and "source=cloud" in e["detail"]
                                         for e in replays), replays
        assert gw.cli("audit", "verify").returncode == 0
        assert gw.stop() == 0
    finally:
        cloud.loop_stop()
        gw.stop()
        sub.stop()
        broker.stop()
        sa.close()
        sg.close()


if __name__ == "__main__":
    run_test(test)
