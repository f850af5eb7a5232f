"""`dockside status` and `dockside metrics` against a running daemon and a
real mosquitto: devices connected, tenant backlog 0 after delivery; with the
broker down the backlog grows and the sessions show disconnected; metrics
parse as Prometheus text and their counts match what was scanned; no
password appears in any output or in the daemon's log; with the daemon
stopped the CLI fails with exit 1 naming the socket."""
import json
import re

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until

N_ACME, N_GLOBEX, N_OFFLINE = 12, 7, 5

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_prometheus(text):
    """A strict little parser of the text exposition format 0.0.4: every
    sample belongs to a family declared with HELP and TYPE before it, a
    family's samples are contiguous, no series appears twice. Returns
    {name: {frozenset(labels.items()): value}} and {name: type}."""
    assert text.endswith("\n"), "exposition must end with a newline"
    series, types, helps, seen_families = {}, {}, set(), []
    current = None
    for line in text.splitlines():
        assert line.strip(), "empty line in exposition"
        if line.startswith("# HELP "):
            name, help_text = line[7:].split(" ", 1)
            assert name not in helps, "HELP twice for " + name
            assert help_text.strip(), "empty HELP for " + name
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            name, typ = line[7:].split(" ")
            assert typ in ("counter", "gauge", "untyped", "histogram", "summary"), line
            assert name in helps, "TYPE before HELP for " + name
            assert name not in types, "TYPE twice for " + name
            assert name.startswith("dockside_"), name
            types[name] = typ
            seen_families.append(name)
            current = name
            series[name] = {}
            continue
        assert not line.startswith("#"), "unexpected comment: " + line
        m = SAMPLE_RE.match(line)
        assert m, "bad sample line: %r" % line
        name, labels_text, value = m.groups()
        assert name == current, "sample %s outside its family block (current %s)" % (name, current)
        labels = {}
        if labels_text:
            pos = 0
            while pos < len(labels_text):
                lm = LABEL_RE.match(labels_text, pos)
                assert lm, "bad labels in %r" % line
                labels[lm.group(1)] = lm.group(2).encode().decode("unicode_escape")
                pos = lm.end()
        key = frozenset(labels.items())
        assert key not in series[name], "duplicate series " + line
        series[name][key] = float(value)
    return series, types


def metric(series, name, **labels):
    key = frozenset(labels.items())
    assert name in series, "no family " + name
    assert key in series[name], "no series %s%r in %r" % (name, labels, list(series[name])[:10])
    return series[name][key]


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    broker = Broker(tmp, {k: v["password"] for k, v in tenants.items()} | {"site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link,
         "station": "dock-1"},
        {"name": "dock-2", "profile": "honeywell-1950g-usb-serial", "tenant": "globex", "port": sg.link},
    ]).start()
    outputs = []

    def cli(*args, check=True):
        r = gw.cli(*args, check=check)
        outputs.append(r.stdout + r.stderr)
        return r

    def status():
        return json.loads(cli("status", "--json").stdout)

    # Help and usage errors need no daemon.
    assert cli("status", "--help").returncode == 0
    assert cli("status", "--bogus", check=False).returncode == 2
    assert cli("metrics", "extra", check=False).returncode == 2

    sub.wait_events(2, timeout=15)  # the two device "connected" events
    for i in range(N_ACME):
        sa.scan("]A0ACME-%04d" % i)
    for i in range(N_GLOBEX):
        sg.scan("]A0GLOBEX-%04d" % i)
    sub.wait_events(N_ACME + 1, tenant="acme")
    sub.wait_events(N_GLOBEX + 1, tenant="globex")

    st = wait_until(lambda: (lambda s: s if all(t["backlog"] == 0 and t["acked_seq"] == t["last_seq"]
                                                 for t in s["tenants"]) else None)(status()),
                    10, what="backlog 0 after delivery")
    assert st["ok"] is True and st["gateway_id"] == gw.gateway_id
    devs = {d["name"]: d for d in st["devices"]}
    assert set(devs) == {"dock-1", "dock-2"}, devs
    for name, n in (("dock-1", N_ACME), ("dock-2", N_GLOBEX)):
        d = devs[name]
        assert d["state"] == "connected", d
        assert d["transport"] == "serial" and d["driver"] == "serial-scanner", d
        assert d["connected_since"] and d["last_reading"], d
        assert d["counters"]["readings"] == n, d
    assert devs["dock-1"]["binding"] == "acme" and devs["dock-1"]["profile"] == "zebra-ds2208-usb-cdc"
    ten = {t["name"]: t for t in st["tenants"]}
    assert list(ten) == ["acme", "globex"], ten
    assert ten["acme"]["state"] == "connected" and ten["acme"]["last_seq"] == N_ACME + 1, ten["acme"]
    assert ten["globex"]["last_seq"] == N_GLOBEX + 1, ten["globex"]
    for t in ten.values():
        assert t["backlog"] == 0 and t["oldest_unacked_age_s"] == 0 and t["last_ack"], t
        assert t["alarm"] is False and t["refusals_permanent"] == 0 and t["isolation_refusals"] == 0, t
    assert st["site_session"]["name"] == "_site" and st["site_session"]["state"] == "connected"
    assert st["store"]["size_bytes"] > 0 and st["store"]["path"] == gw.db(), st["store"]
    assert st["ingest"]["committed"] == N_ACME + N_GLOBEX + 2, st["ingest"]
    assert st["ingest"]["quarantined"] == 0 and st["ingest"]["store_full"] is False

    human = cli("status").stdout
    for word in ("acme", "globex", "_site", "dock-1", "dock-2", "connected", gw.db()):
        assert word in human, "%r missing from human status:\n%s" % (word, human)

    text = cli("metrics").stdout
    series, types = parse_prometheus(text)
    assert types["dockside_events_committed_total"] == "counter"
    assert types["dockside_backlog_events"] == "gauge"
    assert metric(series, "dockside_events_committed_total", tenant="acme") == N_ACME + 1
    assert metric(series, "dockside_events_committed_total", tenant="globex") == N_GLOBEX + 1
    assert metric(series, "dockside_events_acked_total", tenant="acme") == N_ACME + 1
    assert metric(series, "dockside_events_published_total", tenant="globex") == N_GLOBEX + 1
    assert metric(series, "dockside_publish_messages_total", tenant="acme") >= 1
    assert metric(series, "dockside_backlog_events", tenant="acme") == 0
    assert metric(series, "dockside_session_connected", tenant="globex") == 1
    assert metric(series, "dockside_session_connected", tenant="_site") == 1
    assert metric(series, "dockside_publish_refusals_total", tenant="acme", reason="permanent") == 0
    assert metric(series, "dockside_device_readings_total", device="dock-1") == N_ACME
    assert metric(series, "dockside_device_readings_total", device="dock-2") == N_GLOBEX
    assert metric(series, "dockside_device_connected", device="dock-2") == 1
    assert metric(series, "dockside_ingest_committed_total") == N_ACME + N_GLOBEX + 2
    assert metric(series, "dockside_store_size_bytes") > 0
    assert metric(series, "dockside_quarantine_events") == 0

    # Broker down: sessions disconnect, the backlog grows and ages.
    broker.stop()
    wait_until(lambda: all(t["state"] != "connected" for t in status()["tenants"]), 15,
               what="sessions to notice the broker is gone")
    for i in range(N_OFFLINE):
        sa.scan("]A0OFFLINE-%04d" % i)
    st = wait_until(lambda: (lambda s: s if {t["name"]: t for t in s["tenants"]}["acme"]["backlog"]
                             == N_OFFLINE else None)(status()), 10, what="acme backlog to grow")
    ten = {t["name"]: t for t in st["tenants"]}
    assert ten["acme"]["state"] in ("disconnected", "connecting"), ten["acme"]
    assert ten["acme"]["last_seq"] == N_ACME + 1 + N_OFFLINE and ten["acme"]["acked_seq"] == N_ACME + 1
    assert ten["globex"]["backlog"] == 0, ten["globex"]
    wait_until(lambda: {t["name"]: t for t in status()["tenants"]}["acme"]["oldest_unacked_age_s"] >= 1.0,
               10, what="oldest unacked age to grow")
    series, _ = parse_prometheus(cli("metrics").stdout)
    assert metric(series, "dockside_backlog_events", tenant="acme") == N_OFFLINE
    assert metric(series, "dockside_session_connected", tenant="acme") == 0
    assert metric(series, "dockside_oldest_unacked_event_age_seconds", tenant="acme") >= 1.0
    human = cli("status").stdout
    assert "disconnected" in human or "connecting" in human, human

    # Broker back: the backlog drains to 0.
    broker.start()
    wait_until(lambda: all(t["backlog"] == 0 for t in status()["tenants"]), 20, what="backlog to drain")

    # Secrets: no password in any CLI output or in the daemon's log.
    for args in (("tail", "--tenant", "acme", "-n", "100"), ("tail", "--tenant", "globex", "--json"),
                 ("tail",), ("audit", "list"), ("audit", "list", "--json"), ("audit", "verify"),
                 ("quarantine", "list", "--json"), ("status",), ("status", "--json"), ("metrics",)):
        cli(*args)
    assert len(outputs) > 20
    outputs.append(gw.log())
    for secret in gw.secrets:
        for out in outputs:
            assert secret not in out, "a password leaked into output:\n" + out[:2000]

    assert gw.stop() == 0
    r = gw.cli("status", check=False)
    assert r.returncode == 1, r
    assert "not running" in r.stderr and gw.sock in r.stderr, r.stderr
    r = gw.cli("metrics", check=False)
    assert r.returncode == 1 and gw.sock in r.stderr, r.stderr


if __name__ == "__main__":
    run_test(test)
