"""Test harness for dockside integration tests.

Starts real programs: a mosquitto broker (password file + ACL confining each
tenant to its topics) on a free loopback port, the dockside daemon with a
generated config and credential files, pseudo-terminal scanners, and an MQTT
v5 subscriber. Everything lives in a temporary directory and is stopped by
the test itself (use the objects as context managers or call stop()).
"""
import json
import os
import pty
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import tty

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes  # noqa: F401  (re-exported for tests)

DOCKSIDE_BIN = os.environ.get("DOCKSIDE_BIN", "dockside")
SRC = os.environ.get("DOCKSIDE_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
PREFIX = "dockside/v1"
ADMIN_USER, ADMIN_PASS = "admin", "admin-secret-9f3k"


# What the running test started and has not stopped yet: run_test stops it
# all afterwards, newest first, whether the test passed or not, so a test
# needs no try/finally of its own to leave no broker or daemon behind.
_running = []


def stop_later(thing, method="stop"):
    """Registers thing (once) to have thing.<method>() called after the test."""
    if all(t is not thing for t, _ in _running):
        _running.append((thing, method))
    return thing


def stop_all():
    """Stops everything registered, newest first; returns the errors."""
    errors = []
    while _running:
        thing, method = _running.pop()
        try:
            getattr(thing, method)()
        except Exception as e:  # keep stopping the rest
            errors.append(e)
    return errors


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


class TempDir:
    def __init__(self, prefix="dockside-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def join(self, *p):
        return os.path.join(self.path, *p)

    def cleanup(self):
        if os.environ.get("DOCKSIDE_KEEP_TMP"):
            print("keeping", self.path)
            return
        shutil.rmtree(self.path, ignore_errors=True)


class Broker:
    """A mosquitto 2.0 broker with per-tenant users and an ACL.

    users: dict username -> password. Tenant users are named after their
    tenant; the ACL pattern confines each to dockside/v1/<username>/#.
    site_users: usernames confined to dockside/v1/_site/#.
    """

    def __init__(self, tmp, users, site_users=(), port=None, acl_extra=""):
        self.tmp = tmp
        self.dir = tmp.join("broker-%d" % id(self))
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.users = dict(users)
        self.users[ADMIN_USER] = ADMIN_PASS
        self.site_users = list(site_users)
        self.proc = None
        pw = os.path.join(self.dir, "passwd")
        open(pw, "w").close()
        for u, p in self.users.items():
            subprocess.run(["mosquitto_passwd", "-b", pw, u, p], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(pw, 0o600)
        # The reference ACL from deploy/mosquitto, with this test's sites,
        # plus an admin user the test subscribes as.
        acl = os.path.join(self.dir, "acl")
        with open(os.path.join(SRC, "deploy", "mosquitto", "dockside.acl")) as f:
            reference = f.read()
        site_block = "user site-berlin-dc1\ntopic readwrite dockside/v1/_site/berlin-dc1/#\n"
        assert site_block in reference, "reference ACL changed shape"
        sites = "".join("user %s\ntopic readwrite %s/_site/%s/#\n\n" % (su, PREFIX, su[len("site-"):])
                        for su in self.site_users)
        with open(acl, "w") as f:
            f.write("user %s\ntopic readwrite #\n\n" % ADMIN_USER)
            f.write(reference.replace(site_block, sites))
            f.write(acl_extra)
        os.chmod(acl, 0o600)
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write("listener %d 127.0.0.1\n" % self.port)
            f.write("allow_anonymous false\n")
            f.write("password_file %s\n" % pw)
            f.write("acl_file %s\n" % acl)
            f.write("persistence false\n")
            f.write("log_dest file %s\n" % os.path.join(self.dir, "mosquitto.log"))
            f.write("log_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
            if os.geteuid() == 0:
                f.write("user root\n")

    def start(self):
        stop_later(self)
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def up():
            if self.proc.poll() is not None:
                raise AssertionError("mosquitto exited with %s" % self.proc.returncode)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False
        wait_until(up, 10, what="mosquitto on port %d" % self.port)
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def url(self):
        return "mqtt://127.0.0.1:%d" % self.port


class Subscriber:
    """An MQTT v5 client (admin by default) recording every message."""

    def __init__(self, port, topic="%s/#" % PREFIX, user=ADMIN_USER, password=ADMIN_PASS):
        self.port = port
        self.topic = topic
        self.lock = threading.Lock()
        self.messages = []  # (topic, payload bytes, retain)
        self.connected = threading.Event()
        self.client = mqtt.Client(client_id="test-sub-%d-%d" % (os.getpid(), id(self)),
                                  protocol=mqtt.MQTTv5)
        self.client.username_pw_set(user, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def _on_connect(self, client, userdata, flags, rc, props=None):
        client.subscribe(self.topic, qos=1)
        self.connected.set()

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, bytes(msg.payload), msg.retain))

    def start(self):
        stop_later(self)
        self.client.connect("127.0.0.1", self.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise AssertionError("subscriber could not connect")
        time.sleep(0.2)  # let SUBACK arrive
        return self

    def stop(self):
        self.client.loop_stop()
        try:
            self.client.disconnect()
        except Exception:
            pass

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def batches(self, topic_suffix="/events"):
        out = []
        for topic, payload, retain in self.snapshot():
            if topic.endswith(topic_suffix):
                out.append((topic, json.loads(payload.decode("utf-8"))))
        return out

    def events(self, tenant=None, gateway=None):
        """Events in arrival order from events topics: list of (topic, event)."""
        out = []
        for topic, batch in self.batches():
            if tenant is not None and topic.split("/")[2] != tenant:
                continue
            for ev in batch["events"]:
                out.append((topic, ev))
        return out

    def wait_events(self, n, tenant=None, timeout=20):
        return wait_until(lambda: len(self.events(tenant)) >= n and self.events(tenant),
                          timeout, what="%d events%s" % (n, " of " + tenant if tenant else ""))


class PtyScanner:
    """A serial scanner: a pty whose slave is reached through a stable
    symlink (like /dev/serial/by-id/...). unplug() closes it; plug() makes
    a new pty and re-points the link."""

    def __init__(self, tmp, name):
        self.link = tmp.join("tty-" + name)
        self.master = None
        self.slave = None
        stop_later(self, "close")
        self.plug()

    def plug(self):
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        path = os.ttyname(self.slave)
        tmp_link = self.link + ".new"
        if os.path.lexists(tmp_link):
            os.unlink(tmp_link)
        os.symlink(path, tmp_link)
        os.replace(tmp_link, self.link)

    def unplug(self):
        if os.path.lexists(self.link):
            os.unlink(self.link)
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(data)
        while view:
            n = os.write(self.master, view[:4096])
            view = view[n:]

    def scan(self, text, suffix=b"\r"):
        self.write((text.encode() if isinstance(text, str) else text) + suffix)

    def close(self):
        self.unplug()


def write_credential(path, tenant=None, username=None, password=None, site=False, mode=0o600):
    with open(path, "w") as f:
        if site:
            f.write("scope = site\n")
        else:
            f.write("tenant = %s\n" % tenant)
        f.write("username = %s\n" % username)
        f.write("password = %s\n" % password)
    os.chmod(path, mode)
    return path


class Gateway:
    """Writes a dockside config for a broker and runs the daemon.

    tenants: dict name -> dict(password=..., extra="key = value lines")
    devices: list of dicts: name, profile, tenant|scope, port|match, station, extra
    """

    def __init__(self, tmp, broker_port, tenants, devices, gateway_id="gw-test-01",
                 site="test-dc1", agent_extra="", broker_extra="", site_password="site-pass-5k2j",
                 data_dir=None, wrapper=None, log_level="debug", reconnect_min_ms=100):
        self.tmp = tmp
        self.gateway_id = gateway_id
        self.site = site
        self.dir = tmp.join("gateway-" + gateway_id)
        os.makedirs(self.dir, exist_ok=True)
        self.data_dir = data_dir or os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "control.sock")
        self.conf = os.path.join(self.dir, "dockside.conf")
        self.log_path = os.path.join(self.dir, "dockside.log")
        self.wrapper = wrapper or []
        self.proc = None
        self.logf = None
        self.secrets = [site_password] + [t["password"] for t in tenants.values()]
        site_cred = write_credential(os.path.join(self.dir, "site.cred"), site=True,
                                     username="site-" + site, password=site_password)
        lines = ["[agent]", "gateway_id = " + gateway_id, "site = " + site,
                 "data_dir = " + self.data_dir, "control_socket = " + self.sock,
                 "log_level = " + log_level, agent_extra, "",
                 "[broker]", "url = mqtt://127.0.0.1:%d" % broker_port, "allow_insecure = yes",
                 "topic_prefix = " + PREFIX, "reconnect_min_ms = %d" % reconnect_min_ms,
                 "reconnect_max_ms = %d" % max(1000, reconnect_min_ms),
                 broker_extra, "", "[site]", "credentials = " + site_cred, ""]
        for name, t in tenants.items():
            cred = write_credential(os.path.join(self.dir, name + ".cred"), tenant=name,
                                    username=t.get("username", name), password=t["password"])
            lines += ["[tenant %s]" % name, "credentials = " + cred, t.get("extra", ""), ""]
        for d in devices:
            lines += ["[device %s]" % d["name"], "profile = " + d["profile"]]
            for key in ("tenant", "scope", "port", "match", "station", "url"):
                if key in d:
                    lines.append("%s = %s" % (key, d[key]))
            lines += [d.get("extra", ""), ""]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, wait_running=True):
        stop_later(self)
        self.logf = open(self.log_path, "ab")
        offset = len(self.log_bytes())  # only this run's lines count
        env = dict(os.environ)
        env.setdefault("DOCKSIDE_PROFILE_DIR", os.path.join(SRC, "firmware-profiles"))
        self.proc = subprocess.Popen(self.wrapper + [DOCKSIDE_BIN, "-c", self.conf, "run"],
                                     stdout=self.logf, stderr=self.logf, env=env)
        if wait_running:
            wait_until(lambda: self._check_alive() and b"running:" in self.log_bytes()[offset:], 15,
                       what="dockside to start")
        return self

    def _check_alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("dockside exited with %s; log:\n%s" %
                                 (self.proc.returncode, self.log()[-4000:]))
        return True

    def log_bytes(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def log(self):
        return self.log_bytes().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("dockside did not stop within %ds" % timeout)
        rc = self.proc.returncode
        self.proc = None
        if self.logf:
            self.logf.close()
            self.logf = None
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def cli(self, *args, check=True, input=None):
        """Runs a dockside CLI command against this gateway's config."""
        env = dict(os.environ)
        env.setdefault("DOCKSIDE_PROFILE_DIR", os.path.join(SRC, "firmware-profiles"))
        r = subprocess.run([DOCKSIDE_BIN, "-c", self.conf] + list(args), capture_output=True,
                           text=True, env=env, input=input, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("dockside %s failed (%d): %s%s" % (" ".join(args), r.returncode,
                                                                    r.stdout, r.stderr))
        return r

    def db(self):
        return os.path.join(self.data_dir, "dockside.db")


def check_event_fields(ev, gateway, tenant, device, station=None, kind="scan"):
    """Asserts the wire contract of one event."""
    import re
    assert ev["id"] == "%s/%s/%d" % (gateway, tenant, ev["seq"]), ev
    assert isinstance(ev["seq"], int) and ev["seq"] >= 1, ev
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ev["ts"]), ev
    assert ev["device"] == device, ev
    if station is not None:
        assert ev.get("station") == station, ev
    assert ev["kind"] == kind, ev
    assert isinstance(ev["data"], dict), ev


def assert_gapless_in_order(events, label=""):
    """events: list of event dicts of one tenant in arrival order; checks
    that the first arrival of each seq is in increasing order, gapless from
    the first, and duplicates are identical repeats."""
    first = {}
    order = []
    for ev in events:
        s = ev["seq"]
        if s in first:
            assert first[s] == ev, "%s: duplicate seq %d differs: %r vs %r" % (label, s, first[s], ev)
            continue
        first[s] = ev
        order.append(s)
    for a, b in zip(order, order[1:]):
        assert a < b, "%s: out of order: seq %d arrived before %d" % (label, a, b)
        assert b == a + 1, "%s: gap in seq: %d is followed by %d (%d events arrived)" % (
            label, a, b, len(order))
    return order


def run_test(fn):
    """Runs a test function with a TempDir, stops what it started, and
    prints a closing line."""
    tmp = TempDir()
    ok = False
    try:
        fn(tmp)
        ok = True
    finally:
        errors = stop_all()
        if ok and not errors:
            tmp.cleanup()
        else:
            print("test directory kept for inspection:", tmp.path)
    if errors:
        raise errors[0]
    print("1 passed, 0 failed")
