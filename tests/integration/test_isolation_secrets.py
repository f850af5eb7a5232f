"""No secret leaks: the test passwords appear nowhere a person or another
tenant could read them.

Searched for every password (and a distinctive part of it): the daemon's
log at debug level through a normal run, a broker that refuses one
tenant's login, replay and quarantine actions; `metrics`, `status`,
`status --json`, `audit list --json`, `quarantine list --json`; every MQTT
message the broker carried; the SQLite store files; and the output of
`check-config` and `run` for broken credential files (wrong mode, unknown
key, a line without '=', a duplicate password, a tenant mismatch, a
password and a certificate, an over-long password), each of which must
still be reported (non-zero exit, FILE:LINE)."""
import glob
import json
import os
import re

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until

ACME_PW = "acme-Secret-Q7xv91"
GLOBEX_PW = "globex-Secret-L3mz44"
SITE_PW = "site-Secret-P0ad72"
SECRETS = [ACME_PW, GLOBEX_PW, SITE_PW]


def leaks(text, where):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    found = [s for s in SECRETS + [s.split("-")[1] + "-" + s.split("-")[2] for s in SECRETS] if s in text]
    assert not found, "%s contains a secret (%s):\n%s" % (where, found, text[-3000:])


def test(tmp):
    tenants = {"acme": {"password": ACME_PW}, "globex": {"password": GLOBEX_PW}}
    # globex's login is refused by the broker (wrong password there), so
    # its connection errors go through the log too.
    broker = Broker(tmp, {"acme": ACME_PW, "globex": "something-else-entirely", "site-test-dc1": SITE_PW},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port, topic="#").start()
    sa, sg = PtyScanner(tmp, "a"), PtyScanner(tmp, "g")
    gw = Gateway(tmp, broker.port, tenants, [
        {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
        {"name": "dock-2", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link},
    ], site_password=SITE_PW, log_level="debug").start()
    for i in range(5):
        sa.scan("]A0ACME-%d" % i)
        sg.scan("]A0GLOBEX-%d" % i)
    sub.wait_events(6, tenant="acme")
    wait_until(lambda: "globex" in gw.log() and "refused connection" in gw.log(), 10,
               what="globex's refused login in the log")
    gw.cli("replay", "--tenant", "acme", "--from", "1")
    gw.cli("tail", "--tenant", "acme")
    for args in (("metrics",), ("status",), ("status", "--json"), ("audit", "list", "--json"),
                 ("quarantine", "list", "--json"), ("version",), ("check-config",)):
        r = gw.cli(*args)
        leaks(r.stdout + r.stderr, "dockside " + " ".join(args))
    assert gw.stop() == 0
    log = gw.log()
    assert " debug " in log, "the log was not at debug level"
    leaks(log, "the daemon's debug log")
    for topic, payload, _ in sub.snapshot():
        leaks(topic.encode() + b" " + payload, "MQTT message on " + topic)
    for path in glob.glob(os.path.join(gw.data_dir, "*")):
        with open(path, "rb") as f:
            leaks(f.read(), path)

    # Broken credential files: each is reported, none echoes a secret.
    cred = os.path.join(gw.dir, "acme.cred")
    cases = [
        ("mode 0644", "tenant = acme\nusername = acme\npassword = %s\n" % ACME_PW, 0o644, "accessible by group or others"),
        ("unknown key", "tenant = acme\nusername = acme\npasswd = %s\n" % ACME_PW, 0o600, "unknown key"),
        ("no '='", "tenant = acme\nusername = acme\n%s\n" % ACME_PW, 0o600, "syntax error"),
        ("duplicate", "tenant = acme\nusername = acme\npassword = %s\npassword = %s\n" % (ACME_PW, GLOBEX_PW),
         0o600, "duplicate"),
        ("tenant mismatch", "tenant = globex\nusername = acme\npassword = %s\n" % ACME_PW, 0o600, "globex"),
        ("password and cert", "tenant = acme\nusername = acme\npassword = %s\ncert = /x.pem\nkey = /x.key\n"
         % ACME_PW, 0o600, "both password and cert"),
        ("too long", "tenant = acme\nusername = acme\npassword = %s\n" % (ACME_PW * 40), 0o600, "password"),
    ]
    for label, text, mode, needle in cases:
        with open(cred, "w") as f:
            f.write(text)
        os.chmod(cred, mode)
        r = gw.cli("check-config", check=False)
        out = r.stdout + r.stderr
        assert r.returncode == 1, (label, r.returncode, out)
        assert needle in out and re.search(r"(acme\.cred|dockside\.conf):\d+: ", out), (label, out)
        leaks(out, "check-config output (%s)" % label)
        r = gw.cli("run", check=False)
        assert r.returncode != 0, (label, r.stdout, r.stderr)
        leaks(r.stdout + r.stderr, "run output (%s)" % label)


if __name__ == "__main__":
    run_test(test)
