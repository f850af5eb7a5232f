"""Who may use the control socket. The socket is mode 0660, group
admin_group when that group exists. A user outside it (nobody:nogroup) is
stopped by the file mode; a user who gets through the file mode but is not
root, not the daemon's user and not in admin_group (nobody with the root
group while admin_group does not exist) is refused by the daemon's
SO_PEERCRED check: exit 1, "access denied", the refusal counted and
logged, nothing audited. Members of admin_group are admitted by primary
group and by supplementary group, and their uid goes into the audit log."""
import grp
import json
import os
import pwd
import stat
import subprocess

from harness import Broker, Gateway, PtyScanner, Subscriber, run_test, wait_until, DOCKSIDE_BIN

NOBODY = pwd.getpwnam("nobody").pw_uid
USERS_GID = grp.getgrnam("users").gr_gid


def as_user(gw, setpriv_args, *args):
    return subprocess.run(["setpriv", "--reuid=nobody"] + setpriv_args + [DOCKSIDE_BIN, "-c", gw.conf] + list(args),
                          capture_output=True, text=True, timeout=60)


def test(tmp):
    assert os.geteuid() == 0, "this test runs the CLI as other users and needs root"
    os.chmod(tmp.path, 0o755)  # let nobody reach the config and the socket's directory
    tenants = {"acme": {"password": "acme-pw-7Hq2"}}
    broker = Broker(tmp, {"acme": "acme-pw-7Hq2", "site-test-dc1": "site-pass-5k2j"},
                    site_users=["site-test-dc1"]).start()
    sub = Subscriber(broker.port).start()
    sa = PtyScanner(tmp, "a")
    devices = [{"name": "dock-1", "profile": "zebra-ds2208-usb-cdc", "tenant": "acme", "port": sa.link}]
    # admin_group names a group that does not exist: only root (and the daemon's user) get in.
    gw = Gateway(tmp, broker.port, tenants, devices, gateway_id="gw-nogroup",
                 agent_extra="admin_group = dockside-no-such-group").start()
    gw2 = None
    sub.wait_events(1, timeout=15)
    sa.scan("]A0ACME-1")
    sub.wait_events(2, tenant="acme")
    st = os.stat(gw.sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)

    # nobody:nogroup cannot even open the socket.
    r = as_user(gw, ["--regid=nogroup", "--clear-groups"], "status")
    assert r.returncode == 1 and "access denied" in r.stderr and gw.sock in r.stderr, r
    # nobody with the socket's group (root) gets through the file mode;
    # the daemon refuses: not root, not its user, not in admin_group.
    for args in (["status"], ["tail", "--tenant", "acme"], ["audit", "list"]):
        r = as_user(gw, ["--regid=0", "--clear-groups"], *args)
        assert r.returncode == 1, r
        assert "access denied" in r.stderr and "uid %d" % NOBODY in r.stderr, r.stderr
        assert "ACME-1" not in r.stdout + r.stderr
    st = json.loads(gw.cli("status", "--json").stdout)
    assert st["control"]["refused"] == 3, st["control"]
    assert "dockside_control_refusals_total 3" in gw.cli("metrics").stdout
    assert "refused uid %d" % NOBODY in gw.log(), gw.log()[-2000:]
    assert json.loads(gw.cli("audit", "list", "--json").stdout)["entries"] == [], "refused tail was audited"
    assert gw.stop() == 0

    # admin_group = users (exists on Debian): the socket belongs to it.
    gw2 = Gateway(tmp, broker.port, tenants, devices, gateway_id="gw-users",
                  agent_extra="admin_group = users").start()
    st = os.stat(gw2.sock)
    assert st.st_gid == USERS_GID and stat.S_IMODE(st.st_mode) == 0o660, (st.st_gid, oct(st.st_mode))
    # Primary group users: admitted.
    r = as_user(gw2, ["--regid=users", "--clear-groups"], "status", "--json")
    assert r.returncode == 0, r
    assert json.loads(r.stdout)["tenants"][0]["name"] == "acme"
    # Supplementary group users: admitted; the uid is audited.
    r = as_user(gw2, ["--regid=nogroup", "--groups=users"], "tail", "--tenant", "acme", "--json")
    assert r.returncode == 0, r
    evs = json.loads(r.stdout)["events"]
    assert evs and all(e["id"].startswith("gw-users/acme/") for e in evs), r.stdout
    entries = json.loads(gw2.cli("audit", "list", "--json").stdout)["entries"]
    assert [(e["action"], e["tenant"], e["uid"]) for e in entries] == [("tail", "acme", NOBODY)], entries
    # Outside the group: refused by the file mode.
    r = as_user(gw2, ["--regid=nogroup", "--clear-groups"], "status")
    assert r.returncode == 1 and "access denied" in r.stderr, r
    st = json.loads(gw2.cli("status", "--json").stdout)
    assert st["control"]["refused"] == 0, st["control"]
    for secret in gw2.secrets:
        assert secret not in gw2.log() and secret not in gw.log()
    assert gw2.stop() == 0


if __name__ == "__main__":
    run_test(test)
