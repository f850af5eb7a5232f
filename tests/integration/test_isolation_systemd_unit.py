"""deploy/dockside.service is a valid unit (`systemd-analyze verify` with the
built binary in ExecStart reports nothing, not even an unknown key), and
it keeps the hardening docs/isolation.md promises: dedicated user, no
capabilities, read-only system but the state and runtime directories,
only tty and USB devices, only the address families the daemon needs."""
import os
import shutil
import subprocess

from harness import DOCKSIDE_BIN, SRC, run_test

REQUIRED = {
    "Type": ["notify"],
    "User": ["dockside"],
    "Group": ["dockside"],
    "SupplementaryGroups": ["dialout plugdev"],
    "NoNewPrivileges": ["yes"],
    "ProtectSystem": ["strict"],
    "ProtectHome": ["yes"],
    "PrivateTmp": ["yes"],
    "ReadWritePaths": ["/var/lib/dockside /run/dockside"],
    "CapabilityBoundingSet": [""],
    "AmbientCapabilities": [""],
    "RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"],
    "DevicePolicy": ["closed"],
    "DeviceAllow": ["char-ttyACM rw", "char-ttyUSB rw", "char-ttyS rw", "char-usb_device rw"],
    "RestrictSUIDSGID": ["yes"],
    "ProtectKernelModules": ["yes"],
    "ProtectKernelTunables": ["yes"],
    "UMask": ["0077"],
}


def parse(path):
    keys = {}
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;[":
            continue
        k, _, v = line.partition("=")
        keys.setdefault(k.strip(), []).append(v.strip())
    return keys


def test(tmp):
    unit = os.path.join(SRC, "deploy", "dockside.service")
    keys = parse(unit)
    for k, want in REQUIRED.items():
        assert keys.get(k) == want, "%s: %r, expected %r" % (k, keys.get(k), want)
    assert keys["ExecStart"] == ["/usr/bin/dockside -c /etc/dockside/dockside.conf run"], keys["ExecStart"]

    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is needed (package systemd)"
    binary = shutil.which(DOCKSIDE_BIN) or os.path.abspath(DOCKSIDE_BIN)
    with open(unit) as f:
        text = f.read().replace("/usr/bin/dockside", binary)
    copy = tmp.join("dockside.service")
    with open(copy, "w") as f:
        f.write(text)
    r = subprocess.run([tool, "verify", copy], capture_output=True, text=True, timeout=60)
    out = (r.stdout + r.stderr).strip()
    assert r.returncode == 0 and not out, "systemd-analyze verify (%d):\n%s" % (r.returncode, out)

    # The check can fail: a misspelt key is reported.
    with open(copy, "w") as f:
        f.write(text.replace("ProtectSystem=strict", "ProtectSystm=strict"))
    r = subprocess.run([tool, "verify", copy], capture_output=True, text=True, timeout=60)
    assert "ProtectSystm" in r.stdout + r.stderr, r


if __name__ == "__main__":
    run_test(test)
