"""`dockside tail`: --tenant T shows T's events only and writes an audit
entry (action tail, tenant T, uid 0) before showing them; without --tenant
only site-scope events appear; an unknown tenant fails with exit 1; -f
follows new events with a single audit entry and stops on SIGINT."""
import json
import signal
import subprocess
import time

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, DOCKSIDE_BIN


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    broker = Broker(tmp, {k: v["password"] for k, v in tenants.items()} | {"site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa, sg, ss = PtyScanner(tmp, "a"), PtyScanner(tmp, "g"), PtyScanner(tmp, "s")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-2", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link},
        {"name": "yard-1", "profile": "zebra-ds2208-usb-cdc", "scope": "site", "port": ss.link},
    ]).start()
    follower = None
    try:
        sub.wait_events(3, timeout=15)
        for i in range(30):
            sa.scan("]A0ACME-%03d" % i)
            sg.scan("]A0GLOBEX-%03d" % i)
        for i in range(4):
            ss.scan("]A0YARD-%03d" % i)
        sub.wait_events(31, tenant="acme")
        sub.wait_events(31, tenant="globex")
        sub.wait_events(5, tenant="_site")

        def audit_entries():
            return json.loads(gw.cli("audit", "list", "-n", "1000", "--json").stdout)["entries"]

        assert audit_entries() == []

        # --tenant acme: the last 10 of acme's 31 events, nothing of globex.
        out = json.loads(gw.cli("tail", "--tenant", "acme", "-n", "10", "--json").stdout)
        evs = out["events"]
        assert out["stream"] == "acme" and [e["seq"] for e in evs] == list(range(22, 32)), evs
        assert all(e["id"].startswith(gw.gateway_id + "/acme/") for e in evs), evs
        assert [e["data"]["text"] for e in evs] == ["]A0ACME-%03d" % i for i in range(20, 30)]
        entries = audit_entries()
        assert len(entries) == 1, entries
        e = entries[0]
        assert e["action"] == "tail" and e["tenant"] == "acme" and e["uid"] == 0, e
        human = gw.cli("tail", "--tenant", "globex").stdout
        lines = human.strip().splitlines()
        assert len(lines) == 20 and all("GLOBEX" in l for l in lines), human
        assert "ACME" not in human and "YARD" not in human
        assert [x["tenant"] for x in audit_entries()] == ["acme", "globex"]

        # No --tenant: site-scope events only, no audit entry (no tenant data).
        site = json.loads(gw.cli("tail", "-n", "100", "--json").stdout)
        assert site["stream"] == "_site"
        texts = [e["data"].get("text") for e in site["events"] if e["kind"] == "scan"]
        assert texts == ["]A0YARD-%03d" % i for i in range(4)], site
        dump = json.dumps(site)
        assert "ACME" not in dump and "GLOBEX" not in dump, dump
        assert "ACME" not in gw.cli("tail").stdout
        assert len(audit_entries()) == 2

        # Unknown or malformed tenant.
        r = gw.cli("tail", "--tenant", "initech", check=False)
        assert r.returncode == 1 and "unknown tenant" in r.stderr, r
        r = gw.cli("tail", "--tenant", "Bad_Name", check=False)
        assert r.returncode == 2, r
        assert gw.cli("tail", "-n", "0", check=False).returncode == 2
        assert len(audit_entries()) == 2

        # -f: prints the last events, then new ones; one audit entry; SIGINT ends it with 0.
        follower = subprocess.Popen([DOCKSIDE_BIN, "-c", gw.conf, "tail", "--tenant", "acme", "-n", "2", "-f",
                                     "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.2)  # a few follow-up requests
        for i in range(5):
            sa.scan("]A0LIVE-%03d" % i)
        sub.wait_events(36, tenant="acme")
        time.sleep(1.2)
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=10)
        assert follower.returncode == 0, (follower.returncode, err)
        got = [json.loads(l) for l in out.splitlines()]
        assert [e["seq"] for e in got] == list(range(30, 37)), [e["seq"] for e in got]
        assert [e["data"]["text"] for e in got[2:]] == ["]A0LIVE-%03d" % i for i in range(5)]
        entries = audit_entries()
        assert [x["tenant"] for x in entries] == ["acme", "globex", "acme"], entries
        assert "follow=yes" in entries[2]["detail"], entries[2]

        # A follow-up request that claims to continue a follow nobody started is audited.
        gw_sock_req = json.dumps({"cmd": "tail", "tenant": "globex", "from": 1, "n": 1,
                                  "follow_continue": True}) + "\n"
        import socket
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(gw.sock)
            s.sendall(gw_sock_req.encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        ans = json.loads(data)
        assert ans["ok"] is True and len(ans["events"]) == 1, ans
        entries = audit_entries()
        assert len(entries) == 4 and entries[3]["tenant"] == "globex", entries

        for secret in gw.secrets:
            assert secret not in gw.log()
        r = gw.cli("audit", "verify")
        assert "intact: 4 entries" in r.stdout, r.stdout
        assert gw.stop() == 0
    finally:
        if follower and follower.poll() is None:
            follower.kill()
            follower.communicate()
        gw.stop()
        sub.stop()
        broker.stop()
        for s in (sa, sg, ss):
            s.close()


if __name__ == "__main__":
    run_test(test)
