"""The scanner's tty vanishes (unplug) and comes back: the driver reopens it
with backoff, `device` events record disconnected and connected, and scans
before and after arrive; a half-sent scan at the unplug is not invented."""
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, assert_gapless_in_order


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    scanner = PtyScanner(tmp, "a")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": scanner.link}]).start()
    scanner.scan("]C0BEFORE")
    sub.wait_events(2, tenant="acme")
    scanner.write(b"]C0HALF-A-SCAN")  # no suffix: cut by the unplug
    time.sleep(0.2)
    scanner.unplug()
    time.sleep(1.0)  # stays away a while: several reopen attempts fail
    scanner.plug()
    def reconnected():
        evs = [ev for _, ev in sub.events("acme") if ev["kind"] == "device"]
        return [e["data"]["event"] for e in evs].count("connected") >= 2
    from harness import wait_until
    wait_until(reconnected, 15, what="reconnect")
    scanner.scan("]C0AFTER")
    sub.wait_events(5, tenant="acme")
    evs = [ev for _, ev in sub.events("acme")]
    assert_gapless_in_order(evs, "acme")
    seen = [(ev["kind"], ev["data"].get("event") or ev["data"].get("text")) for ev in evs]
    assert seen == [("device", "connected"), ("scan", "]C0BEFORE"), ("device", "disconnected"),
                    ("device", "connected"), ("scan", "]C0AFTER")], seen
    disc = [ev for ev in evs if ev["data"].get("event") == "disconnected"][0]
    assert disc["data"].get("detail"), disc
    log = gw.log()
    assert "incomplete scan of 14 bytes discarded" in log, log[-3000:]


if __name__ == "__main__":
    run_test(test)
