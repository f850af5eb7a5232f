"""Audit log tampering: admin actions leave a hash-chained log that
`audit verify` finds intact; after the daemon is stopped and one stored
row is changed with the sqlite3 tool (its append-only trigger dropped
first, as an intruder with file access would), `audit verify` exits 1 and
names that entry; an entry inserted out of chain is found too."""
import json
import subprocess

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until


def sqlite(db, sql):
    r = subprocess.run(["sqlite3", db, sql], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def restart(gw):
    """Gateway.start() looks for "running:" anywhere in the appended log, so
    after a restart it may return before the new daemon listens: wait for
    the control socket to answer."""
    gw.start()
    wait_until(lambda: gw.cli("status", check=False).returncode == 0, 15, what="restarted daemon to answer")


def test(tmp):
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa = PtyScanner(tmp, "a")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link}]).start()
    sub.wait_events(1, timeout=15)
    for i in range(3):
        sa.scan("]A0ACME-%d" % i)
    sub.wait_events(4, tenant="acme")
    for n in ("1", "2", "3", "4"):
        gw.cli("tail", "--tenant", "acme", "-n", n)
    r = gw.cli("audit", "verify")
    assert r.stdout.strip() == "audit log intact: 4 entries", r.stdout
    v = json.loads(gw.cli("audit", "verify", "--json").stdout)
    assert v["intact"] is True and v["entries"] == 4 and v["first_broken_id"] is None, v
    assert gw.stop() == 0

    # The store refuses edits by itself...
    r = subprocess.run(["sqlite3", gw.db(), "update audit set detail='x' where id=2"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "append-only" in r.stderr, r
    # ...so the intruder drops the trigger first.
    sqlite(gw.db(), "drop trigger audit_no_update; update audit set detail='x' where id=2")
    assert sqlite(gw.db(), "select detail from audit where id=2").strip() == "x"

    restart(gw)
    r = gw.cli("audit", "verify", check=False)
    assert r.returncode == 1, r
    assert "entry 2 " in r.stdout, r.stdout
    v = json.loads(gw.cli("audit", "verify", "--json", check=False).stdout)
    assert v["intact"] is False and v["first_broken_id"] == 2, v
    assert "verification failed at entry 2" in gw.log()
    # Further actions still append (chained onto the damaged log).
    gw.cli("tail", "--tenant", "acme")
    r = gw.cli("audit", "verify", check=False)
    assert r.returncode == 1 and "entry 2 " in r.stdout, r.stdout
    assert gw.stop() == 0

    # Put the row back: intact again (5 entries); then forge a row at the end.
    sqlite(gw.db(), "update audit set detail='from_seq=3 max_events=2 follow=no' where id=2")
    restart(gw)
    r = gw.cli("audit", "verify")
    assert r.stdout.strip() == "audit log intact: 5 entries", r.stdout
    assert gw.stop() == 0
    sqlite(gw.db(), "insert into audit(id, ts_ms, uid, tenant, action, detail, prev_hash, hash) "
                    "select 6, ts_ms, 0, 'acme', 'replay', 'forged', hash, hash from audit where id=5")
    restart(gw)
    r = gw.cli("audit", "verify", check=False)
    assert r.returncode == 1 and "entry 6 " in r.stdout, r.stdout
    assert gw.stop() == 0


if __name__ == "__main__":
    run_test(test)
