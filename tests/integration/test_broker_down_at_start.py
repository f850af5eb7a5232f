"""The broker is down when the daemon starts: scans are kept in the store;
once the broker comes up everything arrives, in seq order, nothing twice."""
import time

from tcp_proxy import TcpProxy
from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, assert_gapless_in_order, free_port

N = 200


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    port = free_port()
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"], port=port)
    scanner = PtyScanner(tmp, "a")
    # The gateway reaches the broker through a proxy that lets it in only
    # once the test's subscriber listens (mosquitto drops what nobody is
    # subscribed to, which would be no loss of the gateway's).
    proxy = TcpProxy(port)
    proxy.block()
    gw = Gateway(tmp, proxy.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": scanner.link}]).start()
    sub = None
    for i in range(N):
        scanner.scan("]C0OFFLINE-%04d" % i)
    time.sleep(1.0)
    assert gw.proc.poll() is None
    log = gw.log()
    assert "cannot connect" in log, log[-2000:]
    broker.start()
    sub = Subscriber(port).start()
    proxy.unblock()
    sub.wait_events(N + 1, tenant="acme", timeout=30)
    time.sleep(0.5)
    evs = [ev for _, ev in sub.events("acme")]
    order = assert_gapless_in_order(evs, "acme")
    assert order == list(range(1, N + 2)), order[:10]
    assert len(evs) == len(order), "duplicates after a clean first connect: %d" % (len(evs) - len(order))
    texts = [ev["data"]["text"] for ev in evs if ev["kind"] == "scan"]
    assert texts == ["]C0OFFLINE-%04d" % i for i in range(N)], texts[:5]
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
