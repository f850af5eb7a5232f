"""Per-device suppression of identical scans within a window: off by
default (two scans of one item can mean quantity two), and when configured
an identical scan inside the window is suppressed and counted, while a
different scan, or the same one after the window, is recorded."""
import json
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    plain, dedup = PtyScanner(tmp, "p"), PtyScanner(tmp, "d")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "plain", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": plain.link},
        {"name": "dedup", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": dedup.link,
         "extra": "suppress_duplicates_ms = 400"}]).start()
    plain.scan("]C0SAME")
    plain.scan("]C0SAME")
    dedup.scan("]C0SAME")
    dedup.scan("]C0SAME")      # suppressed
    dedup.scan("]C0OTHER")     # different: recorded
    dedup.scan("]C0OTHER")     # suppressed
    time.sleep(0.6)
    dedup.scan("]C0OTHER")     # after the window: recorded
    sub.wait_events(2 + 5, tenant="acme")
    time.sleep(0.3)
    texts = {}
    for _, ev in sub.events("acme"):
        if ev["kind"] == "scan":
            texts.setdefault(ev["device"], []).append(ev["data"]["text"])
    assert texts["plain"] == ["]C0SAME", "]C0SAME"], texts
    assert texts["dedup"] == ["]C0SAME", "]C0OTHER", "]C0OTHER"], texts
    st = json.loads(gw.cli("status", "--json").stdout)
    counters = {d["name"]: d["counters"] for d in st["devices"]}
    assert counters["dedup"]["duplicates_suppressed"] == 2, counters["dedup"]
    assert counters["plain"]["duplicates_suppressed"] == 0, counters["plain"]


if __name__ == "__main__":
    run_test(test)
