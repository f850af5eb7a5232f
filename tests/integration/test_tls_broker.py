"""TLS to the broker with a throw-away CA made here with openssl, and the
reference broker setup (deploy/mosquitto: listener and ACL).

1. Password identities over TLS: dockside with url = mqtts://localhost:PORT
   and ca_file = the test CA delivers both tenants' events.
2. A gateway whose ca_file is another CA refuses the server: no event
   reaches the broker, the log says why (TLS), and the daemon keeps
   running (and still answers `status`).
3. Client-certificate identities (require_certificate +
   use_identity_as_username, no password file): each credential file has
   cert + key whose CN is the tenant id (site-<site> for the site), and
   the reference ACL confines them: acme's certificate with globex's name
   in the credential file's `username` cannot publish as globex (the
   broker takes the name from the certificate, and 0x87 quarantines the
   batch), while acme's own events flow."""
import json
import os
import subprocess
import time

from harness import (Gateway, PtyScanner, Subscriber, SRC, run_test, wait_until, free_port, PREFIX,
                     ADMIN_USER, ADMIN_PASS)

import paho.mqtt.client as mqtt

SITE = "test-dc1"


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + name, cwd=d)
    return os.path.join(d, name + ".pem")


def make_cert(d, ca, cn, san=None):
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            cn + ".key", "-out", cn + ".csr", "-subj", "/CN=" + cn, cwd=d)
    ext = os.path.join(d, cn + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n")
        if san:
            f.write("subjectAltName=%s\n" % san)
    openssl("x509", "-req", "-in", cn + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
            "-out", cn + ".pem", "-days", "2", "-extfile", ext, cwd=d)
    os.chmod(os.path.join(d, cn + ".key"), 0o600)
    return os.path.join(d, cn + ".pem"), os.path.join(d, cn + ".key")


class TlsBroker:
    """mosquitto with one TLS listener, the reference ACL (plus an admin)."""

    def __init__(self, tmp, name, pki, users=None, client_certs=False):
        self.dir = tmp.join(name)
        os.makedirs(self.dir)
        self.port = free_port()
        with open(os.path.join(SRC, "deploy", "mosquitto", "dockside.acl")) as f:
            ref = f.read()
        site_block = "user site-berlin-dc1\ntopic readwrite dockside/v1/_site/berlin-dc1/#\n"
        assert site_block in ref, "reference ACL changed shape"
        acl = os.path.join(self.dir, "acl")
        with open(acl, "w") as f:
            f.write("user %s\ntopic readwrite #\n\n" % ADMIN_USER)
            f.write(ref.replace(site_block, "user site-%s\ntopic readwrite %s/_site/%s/#\n" % (SITE, PREFIX, SITE)))
        # The reference listener (deploy/mosquitto/mosquitto.conf) with
        # this test's port, files and, for client_certs, option 2.
        with open(os.path.join(SRC, "deploy", "mosquitto", "mosquitto.conf")) as f:
            conf = f.read()
        pw = os.path.join(self.dir, "passwd")
        swaps = {"listener 8883": "listener %d 127.0.0.1" % self.port,
                 "persistence true": "persistence false",
                 "persistence_location /var/lib/mosquitto/": "persistence_location %s/" % self.dir,
                 "cafile /etc/mosquitto/ca_certificates/ca.pem": "cafile " + pki["ca"],
                 "certfile /etc/mosquitto/certs/server.pem": "certfile " + pki["server"][0],
                 "keyfile /etc/mosquitto/certs/server.key": "keyfile " + pki["server"][1],
                 "password_file /etc/mosquitto/dockside.passwd": "password_file " + pw,
                 "acl_file /etc/mosquitto/dockside.acl": "acl_file " + acl}
        if client_certs:
            swaps["password_file /etc/mosquitto/dockside.passwd"] = "#password_file"
            swaps["#require_certificate true"] = "require_certificate true"
            swaps["#use_identity_as_username true"] = "use_identity_as_username true"
        for old, new in swaps.items():
            assert old in conf, "reference mosquitto.conf changed: %r" % old
            conf = conf.replace(old, new)
        if not client_certs:
            open(pw, "w").close()
            for u, p in users.items():
                subprocess.run(["mosquitto_passwd", "-b", pw, u, p], check=True)
        conf += "log_dest file %s\nlog_type all\n" % os.path.join(self.dir, "mosquitto.log")
        if os.geteuid() == 0:
            conf += "user root\n"
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_until(lambda: self._up(), 10, what="TLS mosquitto")

    def _up(self):
        if self.proc.poll() is not None:
            raise AssertionError("mosquitto exited: %s" % self.log())
        # "Opening ... listen socket" is logged before listen(); "running"
        # only once every listener accepts.
        log = self.log()
        return "listen socket on port %d" % self.port in log and " running" in log

    def log(self):
        try:
            with open(os.path.join(self.dir, "mosquitto.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class TlsSubscriber(Subscriber):
    def __init__(self, port, ca, cert=None, key=None, user=ADMIN_USER, password=ADMIN_PASS):
        super().__init__(port, user=user, password=password)
        self.client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)


def tls_gateway(tmp, port, tenants, devices, ca_file, gateway_id, certs=None):
    """A Gateway whose [broker] speaks mqtts://localhost with ca_file, and
    (with certs: name -> (cert, key)) whose credentials carry certificates."""
    gw = Gateway(tmp, port, tenants, devices, gateway_id=gateway_id, site=SITE,
                 site_password=(certs and "unused-site-pw-x") or "site-pass-5k2j")
    with open(gw.conf) as f:
        text = f.read()
    text = text.replace("url = mqtt://127.0.0.1:%d\nallow_insecure = yes" % port,
                        "url = mqtts://localhost:%d\nca_file = %s" % (port, ca_file))
    assert "mqtts://" in text
    with open(gw.conf, "w") as f:
        f.write(text)
    if certs:
        for name, (cert, key) in certs.items():
            path = os.path.join(gw.dir, ("site" if name.startswith("site-") else name) + ".cred")
            with open(path, "w") as f:
                f.write("scope = site\n" if name.startswith("site-") else "tenant = %s\n" % name)
                f.write("username = %s\ncert = %s\nkey = %s\n" % (tenants.get(name, {}).get("username", name),
                                                                  cert, key))
            os.chmod(path, 0o600)
        gw.secrets = []
    return gw


def test(tmp):
    pki_dir = tmp.join("pki")
    os.makedirs(pki_dir)
    pki = {"ca": make_ca(pki_dir, "test-ca")}
    make_ca(pki_dir, "wrong-ca")
    pki["server"] = make_cert(pki_dir, "test-ca", "localhost", "DNS:localhost,IP:127.0.0.1")
    for cn in ("acme", "globex", "site-" + SITE, ADMIN_USER):
        pki[cn] = make_cert(pki_dir, "test-ca", cn)
    wrong_ca = os.path.join(pki_dir, "wrong-ca.pem")

    tenants = {"acme": {"password": "acme-pw-7Hq2"}, "globex": {"password": "globex-pw-Zk81"}}
    users = {"acme": "acme-pw-7Hq2", "globex": "globex-pw-Zk81", "site-" + SITE: "site-pass-5k2j",
             ADMIN_USER: ADMIN_PASS}
    brokers, gws, subs, scanners = [], [], [], []
    try:
        # 1. Passwords over TLS.
        b1 = TlsBroker(tmp, "broker-pw", pki, users=users)
        brokers.append(b1)
        sub = TlsSubscriber(b1.port, pki["ca"]).start()
        subs.append(sub)
        sa, sg = PtyScanner(tmp, "a1"), PtyScanner(tmp, "g1")
        scanners += [sa, sg]
        gw = tls_gateway(tmp, b1.port, tenants, [
            {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link},
            {"name": "dock-2", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg.link},
        ], pki["ca"], "gw-tls-ok").start()
        gws.append(gw)
        for i in range(5):
            sa.scan("]A0ACME-TLS-%d" % i)
            sg.scan("]A0GLOBEX-TLS-%d" % i)
        sub.wait_events(6, tenant="acme")
        sub.wait_events(6, tenant="globex")
        assert "connected to localhost:%d" % b1.port in gw.log(), gw.log()[-2000:]
        assert gw.stop() == 0

        # 2. The wrong CA: the server is not trusted, nothing is sent.
        sw = PtyScanner(tmp, "w")
        scanners.append(sw)
        n_before = len(sub.events())
        gw2 = tls_gateway(tmp, b1.port, {"acme": tenants["acme"]}, [
            {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sw.link},
        ], wrong_ca, "gw-tls-wrong-ca").start()
        gws.append(gw2)
        for i in range(3):
            sw.scan("]A0WRONG-CA-%d" % i)
        wait_until(lambda: "cannot connect" in gw2.log() and "TLS" in gw2.log(), 10,
                   what="a TLS failure in the log")
        time.sleep(1.5)  # a few reconnect attempts
        assert len(sub.events()) == n_before, "events went to a broker the gateway must not trust"
        st = json.loads(gw2.cli("status", "--json").stdout)
        t = {x["name"]: x for x in st["tenants"]}["acme"]
        assert t["state"] != "connected" and t["backlog"] >= 3, t
        # At least one attempt names the OpenSSL reason (an attempt cut short
        # elsewhere in the handshake may only say that TLS failed).
        lines = [ln for ln in gw2.log().splitlines() if "tenant acme: cannot connect" in ln]
        assert lines and all("TLS" in ln for ln in lines), lines
        assert any("certificate verify failed" in ln for ln in lines), lines
        assert gw2.stop() == 0
        sub.stop()
        subs.remove(sub)

        # 3. Client certificates, identity = certificate CN.
        b2 = TlsBroker(tmp, "broker-cert", pki, client_certs=True)
        brokers.append(b2)
        sub2 = TlsSubscriber(b2.port, pki["ca"], *pki[ADMIN_USER], user="ignored", password=None).start()
        subs.append(sub2)
        sa3, sg3 = PtyScanner(tmp, "a3"), PtyScanner(tmp, "g3")
        scanners += [sa3, sg3]
        # globex's credential file presents acme's certificate: the broker
        # sees "acme" whatever username the file claims.
        certs = {"acme": pki["acme"], "globex": pki["acme"], "site-" + SITE: pki["site-" + SITE]}
        gw3 = tls_gateway(tmp, b2.port, {"acme": {"password": "-"}, "globex": {"password": "-", "username": "globex"}}, [
            {"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa3.link},
            {"name": "dock-2", "profile": "zebra-ds2208-usb-cdc", "tenant": "globex", "port": sg3.link},
        ], pki["ca"], "gw-tls-cert", certs=certs).start()
        gws.append(gw3)
        for i in range(3):
            sa3.scan("]A0ACME-CERT-%d" % i)
            sg3.scan("]A0GLOBEX-CERT-%d" % i)
        sub2.wait_events(4, tenant="acme")
        # The site identity (its own certificate) publishes health.
        wait_until(lambda: any(tp.endswith("/health") for tp, _, _ in sub2.snapshot()), 10, what="site health")

        def globex_alarm():
            st = json.loads(gw3.cli("status", "--json").stdout)
            g = {x["name"]: x for x in st["tenants"]}["globex"]
            return g if g["alarm"] else None
        g = wait_until(globex_alarm, 15, what="globex refused by the certificate's identity")
        assert g["last_refusal_reason"] == 0x87, g
        assert sub2.events("globex") == [], "acme's certificate published into globex's topic"
        q = json.loads(gw3.cli("quarantine", "list", "--json").stdout)
        assert q["count"] >= 1 and all("0x87" in r["reason"] for r in q["quarantine"]), q
        assert gw3.stop() == 0
    finally:
        for g in gws:
            try:
                g.stop()
            except AssertionError:
                pass
        for s in subs:
            s.stop()
        for b in brokers:
            b.stop()
        for s in scanners:
            s.close()


if __name__ == "__main__":
    run_test(test)
