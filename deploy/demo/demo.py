"""dockside demo: two tenants in one warehouse, simulated scanners, a local
broker, and the events as the cloud would receive them."""
import json
import os
import random
import signal
import sys
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, TempDir

SECONDS = float(os.environ.get("DEMO_SECONDS", "20"))
COLORS = {"acme": "\033[36m", "globex": "\033[35m", "_site": "\033[33m"}
RESET = "\033[0m" if sys.stdout.isatty() else ""
if not sys.stdout.isatty():
    COLORS = {}


def gs1_check_digit(digits):
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def gtin(prefix, item):
    body = "0" + prefix + ("%d" % item).zfill(12 - len(prefix))
    return body + gs1_check_digit(body)


def main():
    tmp = TempDir("dockside-demo-")
    tenants = {
        "acme": {"password": "acme-demo-pw", "extra": "gs1_prefixes = 4012345\nmax_rate = 500"},
        "globex": {"password": "globex-demo-pw", "extra": "gs1_prefixes = 5012345"},
    }
    broker = Broker(tmp, {"acme": "acme-demo-pw", "globex": "globex-demo-pw",
                          "site-demo-dc1": "site-demo-pw"}, site_users=["site-demo-dc1"]).start()
    scanners = {n: PtyScanner(tmp, n) for n in ("acme", "globex", "shared")}
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "acme-pack-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme",
         "port": scanners["acme"].link, "station": "pack-1"},
        {"name": "globex-dock-3", "profile": "honeywell-1950g-usb-serial", "tenant": "globex",
         "port": scanners["globex"].link, "station": "dock-3"},
        {"name": "shared-inbound", "profile": "zebra-ds2208-usb-cdc", "tenant": "by-gs1",
         "port": scanners["shared"].link, "station": "inbound"},
    ], gateway_id="gw-demo-01", site="demo-dc1", site_password="site-demo-pw")
    sub = Subscriber(broker.port).start()
    seen = 0
    stop = []
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    print("demo directory: %s\nbroker: mosquitto on 127.0.0.1:%d\nconfig: %s\n" % (tmp.path, broker.port, gw.conf))
    gw.start()
    print("dockside is running; scanning (Ctrl-C to stop)...\n")
    t_end = time.monotonic() + SECONDS if SECONDS > 0 else float("inf")
    item = 0
    try:
        while not stop and time.monotonic() < t_end:
            item += 1
            r = random.random()
            if r < 0.4:
                scanners["acme"].scan("]C101%s10LOT%03d" % (gtin("4012345", item), item % 1000))
            elif r < 0.75:
                scanners["globex"].scan("]C101%s17%s" % (gtin("5012345", item), "271231"))
            elif r < 0.95:
                owner = random.choice(["4012345", "5012345"])  # resolved by company prefix
                scanners["shared"].scan("]C101%s" % gtin(owner, item))
            else:
                scanners["shared"].scan("]C101%s" % gtin("9999999", item))  # nobody's prefix
            time.sleep(random.uniform(0.05, 0.4))
            msgs = sub.snapshot()
            for topic, payload, retain in msgs[seen:]:
                parts = topic.split("/")
                if parts[-1] != "events":
                    continue
                batch = json.loads(payload)
                tenant = parts[2] if parts[2] != "_site" else "_site"
                for ev in batch["events"]:
                    data = ev["data"]
                    what = data.get("text") or data.get("event")
                    extra = ""
                    if "gs1" in data:
                        extra = "  gs1 " + " ".join("(%s)%s" % kv for kv in data["gs1"].items())
                    print("%s%-7s%s seq %-4d %-15s %-7s %s%s" % (COLORS.get(tenant, ""), tenant, RESET,
                                                          ev["seq"], ev["device"], ev["kind"], what, extra))
            seen = len(msgs)
    finally:
        print("\n--- dockside quarantine list (scans nobody's prefix claims) ---")
        try:
            print(gw.cli("quarantine", "list", check=False).stdout)
        except Exception as e:
            print("quarantine list unavailable:", e)
        print("--- dockside status ---")
        try:
            print(gw.cli("status", check=False).stdout)
        except Exception as e:  # the demo still shuts down cleanly
            print("status unavailable:", e)
        gw.stop()
        sub.stop()
        broker.stop()
        for s in scanners.values():
            s.close()
        tmp.cleanup()


if __name__ == "__main__":
    main()
