"""The control socket never blocks the daemon and stays bounded: a client
that connects and sends nothing does not hold up others and is dropped
after the client timeout; malformed, unknown and oversized requests get a
JSON error; with the client limit reached a newcomer gets "busy" and the
daemon keeps publishing scans meanwhile; a socket left by a killed daemon
is replaced on restart; a second daemon on the same socket refuses to
start."""
import json
import socket
import subprocess
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, DOCKSIDE_BIN

MAX_CLIENTS = 32
CLIENT_TIMEOUT_S = 10


def raw_request(path, payload, shut=True):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(payload)
        if shut:
            s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa = PtyScanner(tmp, "a")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link}]).start()
    idle = []
    try:
        sub.wait_events(1, timeout=15)
        # One silent client from the start: others are served meanwhile.
        lazy = socket.socket(socket.AF_UNIX)
        lazy.connect(gw.sock)
        lazy_since = time.monotonic()
        assert gw.cli("status").returncode == 0

        # Malformed, unknown, oversized.
        ans = raw_request(gw.sock, b"this is not json\n")
        assert ans["ok"] is False and ans["code"] == "bad_request", ans
        ans = raw_request(gw.sock, b'["cmd","status"]\n')
        assert ans["ok"] is False and ans["code"] == "bad_request", ans
        ans = raw_request(gw.sock, b'{"cmd":"format-disk"}\n')
        assert ans["ok"] is False and ans["code"] == "unknown_command", ans
        ans = raw_request(gw.sock, b'{"cmd":"tail","tenant":"acme","n":"many"}\n')
        assert ans["ok"] is False and ans["code"] == "bad_request", ans
        ans = raw_request(gw.sock, b'{"cmd":"tail","tenant":42}\n')
        assert ans["ok"] is False and ans["code"] == "bad_request", ans
        ans = raw_request(gw.sock, b'{"cmd":"quarantine-assign","id":1.5,"tenant":"acme"}\n')
        assert ans["ok"] is False and ans["code"] == "bad_request", ans
        ans = raw_request(gw.sock, b'{"cmd":"status"' + b" " * (70 * 1024) + b"}\n", shut=False)
        assert ans["ok"] is False and ans["code"] == "too_large", ans
        # Without a newline, the end of the stream ends the request.
        ans = raw_request(gw.sock, b'{"cmd":"status"}')
        assert ans["ok"] is True and ans["v"] == 1, ans

        # Fill the client table with silent clients (the lazy one is one of them).
        for _ in range(MAX_CLIENTS - 1):
            s = socket.socket(socket.AF_UNIX)
            s.connect(gw.sock)
            idle.append(s)
        time.sleep(0.3)
        r = gw.cli("status", check=False)
        assert r.returncode == 1 and "too many control clients" in r.stderr, r
        # The loop is not blocked: scans still go out.
        sa.scan("]A0WHILE-BUSY")
        wait_until(lambda: any(e["data"].get("text") == "]A0WHILE-BUSY" for _, e in sub.events("acme")), 10,
                   what="scan published while the control socket is full")
        for s in idle:
            s.close()
        idle = []
        wait_until(lambda: gw.cli("status", check=False).returncode == 0, 5, what="status after clients left")

        # The silent client is dropped after the client timeout.
        lazy.settimeout(CLIENT_TIMEOUT_S + 5)
        assert lazy.recv(1) == b"", "silent client was not closed"
        waited = time.monotonic() - lazy_since
        assert CLIENT_TIMEOUT_S - 1 <= waited <= CLIENT_TIMEOUT_S + 4, waited
        lazy.close()
        st = json.loads(gw.cli("status", "--json").stdout)
        assert st["control"]["timeouts"] >= 1 and st["control"]["oversized"] == 1, st["control"]
        assert st["control"]["rejected_busy"] >= 1, st["control"]

        # A second daemon on the same socket refuses to start; the first keeps answering.
        r = subprocess.run([DOCKSIDE_BIN, "-c", gw.conf, "run"], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0, r
        assert "another dockside daemon is listening" in r.stderr, r.stderr[-2000:]
        assert gw.cli("status").returncode == 0

        # kill -9 leaves the socket file behind; the next start replaces it.
        gw.kill9()
        assert gw.cli("status", check=False).returncode == 1
        gw.start()
        wait_until(lambda: gw.cli("status", check=False).returncode == 0, 15, what="daemon after kill -9")
        assert "removing stale socket" in gw.log()
        assert gw.stop() == 0
    finally:
        for s in idle:
            s.close()
        gw.stop()
        sub.stop()
        broker.stop()
        sa.close()


if __name__ == "__main__":
    run_test(test)
