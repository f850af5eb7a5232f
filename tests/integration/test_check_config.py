"""dockside check-config and dockside profiles, run as an operator would:
a valid config passes with "FILE: ok"; each kind of error is printed on
stderr as FILE:LINE: message with exit 1; --keys lists every key and
docs/configuration.md documents each of them; profiles list/show/validate
work on the shipped profiles and report broken ones at FILE:LINE."""
import json
import os
import re
import subprocess
import sys
import tempfile

BIN = os.environ.get("DOCKSIDE_BIN", "dockside")
SRC = os.environ.get("DOCKSIDE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SECRET = "pa55-never-shown"
failures = []


def run(*args):
    env = dict(os.environ, DOCKSIDE_PROFILE_DIR=os.path.join(SRC, "firmware-profiles"))
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=30)
    for stream in (p.stdout, p.stderr):
        if SECRET in stream:
            failures.append("secret printed by %s" % " ".join(args))
    return p


def check(cond, what, detail=""):
    if not cond:
        failures.append("%s\n%s" % (what, detail))


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def main():
    with tempfile.TemporaryDirectory(prefix="dockside-check-config-") as d:
        write(os.path.join(d, "site.cred"), "scope = site\nusername = gw\npassword = %s\n" % SECRET)
        write(os.path.join(d, "acme.cred"), "tenant = acme\nusername = acme-gw\npassword = %s\n" % SECRET)
        write(os.path.join(d, "globex.cred"), "tenant = globex\nusername = gx\npassword = %s\n" % SECRET)
        write(os.path.join(d, "loose.cred"), "tenant = acme\nusername = u\npassword = %s\n" % SECRET, 0o644)
        head = ("[agent]\ngateway_id = gw-1\nsite = berlin\n[broker]\nurl = mqtts://broker.example\n"
                "[site]\ncredentials = %s/site.cred\n" % d)
        acme = "[tenant acme]\ncredentials = %s/acme.cred\n" % d
        dev = "[device d1]\nprofile = zebra-ds2208-usb-cdc\nport = /dev/ttyACM0\n"

        valid = write(os.path.join(d, "valid.conf"), head + acme + "gs1_prefixes = 0614141,\n  0614142\n"
                      + dev + "tenant = by-gs1\n", 0o644)
        p = run("-c", valid, "check-config")
        check(p.returncode == 0 and p.stdout.strip() == "%s: ok" % valid, "valid config passes", p.stdout + p.stderr)
        p = run("check-config", "-c", valid, "--json")
        check(p.returncode == 0 and json.loads(p.stdout)["ok"] is True, "--json on a valid config", p.stdout)

        # (name, config text, expected line, expected message part)
        cases = [
            ("unknown-section", head + "[gateway]\n", 8, "unknown section [gateway]"),
            ("unknown-key", head + acme + "colour = red\n", 10, "unknown key 'colour' in [tenant acme]"),
            ("missing-key", head + "[tenant acme]\nmax_rate = 1\n", 8, "missing required key 'credentials'"),
            ("duplicate-tenant", head + acme + acme, 10, "duplicate section [tenant acme]"),
            ("duplicate-device", head + acme + dev + "tenant = acme\n" + dev + "tenant = acme\n", 14,
             "duplicate section [device d1]"),
            ("unnamed", head + "[device]\n", 8, "needs a name"),
            ("tenant-id", head + "[tenant ACME]\ncredentials = %s/acme.cred\n" % d, 8, "invalid tenant id 'ACME'"),
            ("bad-int", head + acme + "max_rate = -5\n", 10, "not an integer in 0..1000000"),
            ("no-tenant", head + acme + dev, 10, "no default tenant"),
            ("tenant-and-scope", head + acme + dev + "tenant = acme\nscope = site\n", 14, "both tenant and scope"),
            ("undeclared", head + acme + dev + "tenant = globex\n", 13, "not declared as [tenant globex]"),
            ("by-gs1", head + acme + dev + "tenant = by-gs1\n", 13, "no tenant declares gs1_prefixes"),
            ("gs1-twice", head + acme + "gs1_prefixes = 4006381\n[tenant globex]\ncredentials = %s/globex.cred\n"
             "gs1_prefixes = 4006381\n" % d, 13, "already claimed by [tenant acme]"),
            ("plain-mqtt", head.replace("mqtts://broker.example", "mqtt://127.0.0.1:1883"), 5,
             "plain mqtt:// is refused"),
            ("unknown-profile", head + acme + "[device d1]\nprofile = nosuch\nport = /dev/ttyACM0\ntenant = acme\n",
             11, "unknown profile 'nosuch'"),
            ("match-on-serial", head + acme + dev + "match = usb:05e0:1200\ntenant = acme\n", 10,
             "'match' is for USB devices"),
            ("cred-missing", head + "[tenant acme]\ncredentials = %s/none.cred\n" % d, 9, "cannot read credential file"),
            ("cred-mode", head + "[tenant acme]\ncredentials = %s/loose.cred\n" % d, 9, "mode 0644"),
            # A NUL must not silently cut a value ("gw" would pass).
            ("nul-in-value", head.replace("gateway_id = gw-1", "gateway_id = gw\0evil"), 2, "syntax error"),
            ("overlong-line", head + acme + "gs1_prefixes = " + "0614141, " * 30 + "\n", 10, "line too long"),
        ]
        for name, text, line, part in cases:
            path = write(os.path.join(d, name + ".conf"), text, 0o644)
            p = run("check-config", "-c", path)
            lines = p.stderr.splitlines()
            want = "%s:%d: " % (path, line)
            hit = [l for l in lines if l.startswith(want) and part in l]
            check(p.returncode == 1 and hit, "%s: exit 1 and '%s...%s'" % (name, want, part), p.stderr)
            check(p.stdout == "", "%s: nothing on stdout" % name, p.stdout)
            for l in lines[:-1]:
                check(re.match(r"^[^:]+:\d+: ", l), "%s: every error line is FILE:LINE: message" % name, l)

        # Mismatch: reported at the credential file's own tenant line.
        path = write(os.path.join(d, "mismatch.conf"), head + "[tenant acme]\ncredentials = %s/globex.cred\n" % d, 0o644)
        p = run("check-config", "-c", path)
        check(p.returncode == 1 and "%s/globex.cred:1: credential file says tenant globex, section is [tenant acme]"
              % d in p.stderr, "credential tenant mismatch", p.stderr)
        p = run("check-config", "-c", path, "--json")
        errs = json.loads(p.stdout)["errors"] if p.stdout else []
        check(p.returncode == 1 and errs and errs[0]["line"] == 1 and errs[0]["file"].endswith("globex.cred"),
              "--json errors carry file and line", p.stdout)

    # --keys: every key of the table is documented in docs/configuration.md.
    p = run("check-config", "--keys", "--json")
    keys = json.loads(p.stdout)
    with open(os.path.join(SRC, "docs", "configuration.md")) as f:
        doc = f.read()
    listed = {(k["section"], k["key"]) for k in keys}
    contract = [("[agent]", "gateway_id"), ("[agent]", "site"), ("[agent]", "data_dir"), ("[agent]", "control_socket"),
                ("[broker]", "url"), ("[broker]", "ca_file"), ("[broker]", "topic_prefix"),
                ("[broker]", "allow_insecure"), ("[site]", "credentials"), ("[tenant NAME]", "credentials"),
                ("[tenant NAME]", "gs1_prefixes"), ("[tenant NAME]", "max_backlog"), ("[tenant NAME]", "max_rate"),
                ("[device NAME]", "profile"), ("[device NAME]", "match"), ("[device NAME]", "tenant"),
                ("[device NAME]", "scope"), ("[device NAME]", "station"), ("[device NAME]", "port"),
                ("[device NAME]", "url"), ("[device NAME]", "poll_ms")]
    for c in contract:
        check(c in listed, "--keys lists contract key %s %s" % c)
    sections = {}
    for part in re.split(r"^### ", doc, flags=re.M)[1:]:
        sections[part.splitlines()[0].strip()] = part
    for k in keys:
        check("| `%s` |" % k["key"] in sections.get(k["section"], ""),
              "docs/configuration.md documents %s %s" % (k["section"], k["key"]))
    p = run("check-config", "--keys")
    check(p.returncode == 0 and "[tenant NAME]   gs1_prefixes" in p.stdout, "--keys text output")
    check(run("check-config", "--bogus").returncode == 2, "unknown option is a usage error")
    check(run("check-config", "--help").returncode == 0, "check-config --help")

    # profiles
    p = run("profiles", "list", "--json")
    names = {x["name"] for x in json.loads(p.stdout)} if p.returncode == 0 else set()
    for n in ("zebra-ds2208-usb-cdc", "honeywell-1950g-usb-serial", "honeywell-1250g-usb-serial",
              "datalogic-qd2430-rs232", "generic-serial-scanner-timeout"):
        check(n in names, "profiles list shows " + n, p.stdout + p.stderr)
    p = run("profiles", "show", "datalogic-qd2430-rs232", "--json")
    shown = {(k["section"], k["key"]): k for k in json.loads(p.stdout)["keys"]} if p.returncode == 0 else {}
    check(shown.get(("framing", "suffix"), {}).get("value") == "crlf" and shown.get(("framing", "suffix"), {}).get("help"),
          "profiles show: values with help text", p.stdout)
    check(run("profiles", "show", "nosuch").returncode == 1, "profiles show of an unknown name fails")
    shipped = sorted(os.path.join(SRC, "firmware-profiles", f) for f in os.listdir(os.path.join(SRC, "firmware-profiles")))
    p = run("profiles", "validate", *shipped)
    check(p.returncode == 0 and p.stdout.count(": ok") == len(shipped), "every shipped profile validates", p.stdout + p.stderr)
    with tempfile.TemporaryDirectory(prefix="dockside-profiles-") as d:
        bad = write(os.path.join(d, "broken.ini"),
                    "[profile]\nname = broken\nvendor = A\nmodel = B\nmode = C\ndriver = serial-scanner\nkind = scan\n"
                    "[framing]\nsuffix = cr\nmax_length = 0\n[keyboard]\nlayout = de\n", 0o644)
        p = run("profiles", "validate", bad)
        check(p.returncode == 1 and "%s:10: max_length in [framing]: '0' is not an integer in 1..65536" % bad in p.stderr
              and "%s:11: unknown section [keyboard]" % bad in p.stderr, "profiles validate reports FILE:LINE", p.stderr)
    check(run("profiles").returncode == 2, "profiles without subcommand is a usage error")
    check(run("profiles", "--help").returncode == 0, "profiles --help")

    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
