"""The daemon stopped with SIGTERM and started again: no event is lost and
seq continues without a gap; the same holds for events scanned while the
daemon was down (they wait in the pty and are read on restart)."""
from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, assert_gapless_in_order


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    scanner = PtyScanner(tmp, "a")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": scanner.link}])
    sent = []
    for rnd in range(3):
        gw.start()
        for i in range(50):
            text = "]C0R%d-%03d" % (rnd, i)
            scanner.scan(text)
            sent.append(text)
        sub.wait_events(len(sent) + rnd + 1, tenant="acme", timeout=20)
        assert gw.stop() == 0, "SIGTERM must give exit status 0"
    evs = [ev for _, ev in sub.events("acme")]
    order = assert_gapless_in_order(evs, "acme")
    assert order[0] == 1
    texts = [ev["data"]["text"] for ev in evs if ev["kind"] == "scan"]
    # Each scan exactly once (a clean stop waits for acknowledgements).
    assert texts == sent, (len(texts), len(sent))
    kinds = [ev["data"].get("event") for ev in evs if ev["kind"] == "device"]
    assert kinds.count("connected") == 3, kinds


if __name__ == "__main__":
    run_test(test)
