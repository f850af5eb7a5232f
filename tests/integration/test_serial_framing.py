"""Serial framing as profiles say: CR LF suffix (a lone CR inside a scan is
data), inter-character timeout with no suffix (a pause ends a scan), baud
and parity overrides from the config, and the AIM prefix kept in the event.
Also: the site health message is retained, and its last will
{"online":false} is published by the broker when the daemon dies."""
import json
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, PREFIX


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    crlf, gap, aim = PtyScanner(tmp, "crlf"), PtyScanner(tmp, "gap"), PtyScanner(tmp, "aim")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "rs232", "profile": "datalogic-qd2430-rs232", "tenant": "acme", "port": crlf.link,
         "extra": "baud = 19200\nparity = even"},
        {"name": "timed", "profile": "generic-serial-scanner-timeout", "tenant": "acme", "port": gap.link},
        {"name": "cdc", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": aim.link},
    ]).start()
    crlf.write(b"4006381333931\r\n7\r8\r\n")
    gap.write(b"ABC")
    time.sleep(0.01)
    gap.write(b"DEF")        # 10 ms later: same scan
    time.sleep(0.3)
    gap.write(b"GHI")        # after a pause: a new scan
    aim.write(b"]E04006381333931\r")
    sub.wait_events(3 + 5, tenant="acme")
    scans = {}
    for _, ev in sub.events("acme"):
        if ev["kind"] == "scan":
            scans.setdefault(ev["device"], []).append(ev["data"])
    assert [d["text"] for d in scans["rs232"]] == ["4006381333931", "7\r8"], scans["rs232"]
    assert "aim" not in scans["rs232"][0], scans["rs232"][0]  # aim_prefix = no
    assert [d["text"] for d in scans["timed"]] == ["ABCDEF", "GHI"], scans["timed"]
    cdc = scans["cdc"][0]
    assert cdc["text"] == "]E04006381333931" and cdc["aim"] == "]E0", cdc
    assert cdc["gs1"]["01"] == "04006381333931", cdc
    assert "opened %s at 19200 baud" % crlf.link in gw.log()

    topic = "%s/_site/test-dc1/gw-test-01/health" % PREFIX
    health = [(json.loads(p), r) for t, p, r in sub.snapshot() if t == topic]
    assert health and health[0][0]["online"] is True, health
    late = Subscriber(broker.port, topic=topic).start()  # retained: a late subscriber gets it
    wait_until(lambda: late.snapshot(), 5, what="retained health")
    assert json.loads(late.snapshot()[0][1])["online"] is True
    late.stop()
    gw.kill9()
    wait_until(lambda: any(json.loads(p).get("online") is False for t, p, r in sub.snapshot() if t == topic),
               10, what="last will")


if __name__ == "__main__":
    run_test(test)
