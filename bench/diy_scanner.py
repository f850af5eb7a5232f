"""The scanner side of the do-it-yourself alternative: a script that
publishes each scan as its own MQTT message, QoS 1, to the local broker.

    diy_scanner.py PORT COUNT RATE RESULT_JSON

paho (MQTT v5, loop thread, reconnects every 0.1-0.5 s when the broker is
gone; messages published meanwhile wait in paho's memory and go out on
reconnect, as do unacknowledged ones). Writes {"published", "acked": [seq...]}
where acked are the scans the local broker answered with a PUBACK: what the
script believes is safe."""
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

TOPIC = "dockside/v1/acme/gw-diy-01/events"


def main():
    port, count, rate, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    lock = threading.Lock()
    mids, acked_mids = {}, []

    # paho calls on_publish holding its own message lock: take no lock of
    # ours there (publish() takes paho's lock too). mids stay unique while
    # count < 65536.
    def on_publish(client, userdata, mid):
        acked_mids.append(mid)

    c = mqtt.Client(client_id="diy-scanner", protocol=mqtt.MQTTv5)
    c.on_publish = on_publish
    c.reconnect_delay_set(0.1, 0.5)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    t0 = time.monotonic()
    for i in range(1, count + 1):
        target = t0 + (i - 1) / rate
        now = time.monotonic()
        if target > now:
            time.sleep(target - now)
        ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        payload = json.dumps({"id": "gw-diy-01/acme/%d" % i, "seq": i, "ts": ts, "device": "dock-1-scanner",
                              "station": "dock-1", "kind": "scan",
                              "data": {"text": "]A0S%08d" % i, "aim": "]A0"}}, separators=(",", ":"))
        info = c.publish(TOPIC, payload, qos=1)
        with lock:
            mids[info.mid] = i
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(set(acked_mids)) >= count:
            break
        time.sleep(0.05)
    c.loop_stop()
    with open(out, "w") as f:
        with lock:
            acked = sorted({mids[m] for m in set(acked_mids) if m in mids})
        json.dump({"published": count, "acked": acked}, f)


if __name__ == "__main__":
    main()
