"""Hostile scanner bytes: overlong lines, NUL bytes, invalid UTF-8 and a
burst of thousands of lines. Nothing crashes, every payload on the wire is
valid UTF-8 JSON, and the counters in `dockside status --json` tell what
happened."""
import json

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, assert_gapless_in_order

BURST = 5000


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    scanner = PtyScanner(tmp, "a")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": scanner.link}]).start()
    scanner.scan(b"]C0" + b"X" * 10000)             # overlong: profile max_length is 4096
    scanner.scan(b"]C0A\x00B\x00C")                 # NUL bytes
    scanner.scan(b"]C0bad\xff\xfe\xc3(utf8\xed\xa0\x80")  # invalid UTF-8, incl. a surrogate
    scanner.scan(b"]C0quote\"back\\slash\x01ctl\x1d")  # characters JSON must escape
    scanner.scan(b"]C0caf\xc3\xa9 \xe2\x82\xac")      # valid multi-byte UTF-8 stays as is
    burst = b"".join(b"]C0B%05d\r" % i for i in range(BURST))
    scanner.write(burst)
    total = 1 + 5 + BURST
    sub.wait_events(total, tenant="acme", timeout=60)

    # Every payload is valid UTF-8 and valid JSON (strict decoding).
    for topic, payload, retain in sub.snapshot():
        json.loads(payload.decode("utf-8", errors="strict"))
    evs = [ev for _, ev in sub.events("acme")]
    assert_gapless_in_order(evs, "acme")
    scans = [ev["data"] for ev in evs if ev["kind"] == "scan"]
    over = scans[0]
    assert over["truncated"] is True and len(over["text"]) == 4096, {k: over[k] for k in over if k != "text"}
    assert "max_length" in over["error"]
    assert scans[1]["text"] == "]C0A\x00B\x00C", scans[1]
    assert scans[2]["text"] == "]C0bad\ufffd\ufffd\ufffd(utf8\ufffd\ufffd\ufffd", scans[2]
    assert scans[3]["text"] == "]C0quote\"back\\slash\x01ctl\x1d", scans[3]
    assert scans[4]["text"] == "]C0caf\u00e9 \u20ac", scans[4]
    assert [s["text"] for s in scans[5:]] == ["]C0B%05d" % i for i in range(BURST)]

    st = json.loads(gw.cli("status", "--json").stdout)
    dev = [d for d in st["devices"] if d["name"] == "dock-1"][0]
    c = dev["counters"]
    assert c["overlong"] == 1, c
    assert c["nul_bytes"] == 2, c
    assert c["invalid_utf8"] == 6, c
    assert c["readings"] == total - 1, c
    assert gw.proc.poll() is None


if __name__ == "__main__":
    run_test(test)
