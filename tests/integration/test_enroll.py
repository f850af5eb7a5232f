"""dockside enroll against a real HTTPS server: a Python http.server with
TLS, using a throw-away CA and server certificate made with openssl here,
on a free loopback port. Proves: the credential files are written 0600 and
pass check-config; the token can come from stdin or a file; a wrong CA,
http://, a redirect, a 403 and every kind of malformed or hostile response
are refused with nothing written and earlier files untouched; rotation
replaces files atomically; neither the token nor a password is ever
printed."""
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIN = os.environ.get("DOCKSIDE_BIN", "dockside")
SRC = os.environ.get("DOCKSIDE_SRC", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOKEN = "enr-" + secrets.token_hex(16)
GATEWAY = "gw-test-01"
PASSWORDS = {name: "pw-%s-%s" % (name, secrets.token_hex(8)) for name in ("acme", "globex", "site", "acme2")}

failures = []
outputs = []  # every stdout/stderr of dockside, checked for secrets at the end


def check(cond, what, detail=""):
    if not cond:
        failures.append("%s\n%s" % (what, detail))
    return cond


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA."""
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem",
                "-days", "2", "-subj", "/CN=dockside test %s" % ca, cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.ext", cwd=d)


def creds_body(*entries, v=1):
    return json.dumps({"v": v, "credentials": list(entries)}).encode()


ACME = {"tenant": "acme", "username": "acme-gw", "password": PASSWORDS["acme"]}
GLOBEX = {"tenant": "globex", "username": "globex-gw", "password": PASSWORDS["globex"]}
SITE = {"scope": "site", "username": "site-berlin", "password": PASSWORDS["site"]}
ACME_ROTATED = {"tenant": "acme", "username": "acme-gw-2", "password": PASSWORDS["acme2"]}

# path -> (status, body, extra headers); the server answers these only to
# the right token and gateway, anything else gets 403.
RESPONSES = {
    "/ok": (200, creds_body(ACME, GLOBEX, SITE), {}),
    "/rotated": (200, creds_body(ACME_ROTATED), {}),
    "/expired": (403, b'{"error":"token expired"}', {}),
    "/redirect": (302, b"", {"Location": "http://127.0.0.1:1/ok"}),
    "/server-error": (500, b"<html>internal error</html>", {}),
}
# Hostile or malformed 200 responses: (name, body, part of the expected message).
HOSTILE = [
    ("invalid tenant id", creds_body(dict(ACME, tenant="Acme/../etc")), "not a valid tenant id"),
    ("tenant id too long", creds_body(dict(ACME, tenant="a" * 64)), "not a valid tenant id"),
    ("newline in password", creds_body(dict(ACME, password="pw\nscope = site")), "control character"),
    ("newline in username", creds_body(dict(ACME, username="u\r\nx")), "control character"),
    ("comment in password", creds_body(dict(ACME, password="abc ;def")), "comment"),
    ("password too long", creds_body(dict(ACME, password="p" * 188)), "longer than 187"),
    ("empty password", creds_body(dict(ACME, password="")), "empty"),
    ("NUL escape in password", creds_body(ACME).replace(PASSWORDS["acme"].encode(), b"ab\\u0000cd"),
     "NUL"),
    ("1 MiB body", b'{"v":1,"credentials":[' + b" " * (1 << 20) + b"]}", "larger than 65536"),
    ("not JSON", b"<html>hello</html>", "not valid JSON"),
    ("trailing data", creds_body(ACME) + b" {}", "data after the JSON"),
    ("JSON array", b"[1,2]", "not a JSON object"),
    ("duplicate tenant", creds_body(ACME, GLOBEX, dict(ACME, username="other")), "both for tenant acme"),
    ("two site entries", creds_body(SITE, dict(SITE, username="x")), "both site credentials"),
    ("missing username", creds_body({"tenant": "acme", "password": "x"}), "no \"username\""),
    ("missing password", creds_body({"tenant": "acme", "username": "x"}), "no \"password\""),
    ("neither tenant nor scope", creds_body({"username": "x", "password": "y"}), "neither"),
    ("tenant and scope", creds_body(dict(ACME, scope="site")), "both \"tenant\" and \"scope\""),
    ("scope not site", creds_body(dict(SITE, scope="global")), "scope is not"),
    ("unknown entry member", creds_body(dict(ACME, cert="x")), "unknown member"),
    ("unknown top member", b'{"v":1,"credentials":[],"extra":1}', "unknown member"),
    ("wrong version", creds_body(ACME, v=2), "protocol version"),
    ("no credentials", creds_body(), "no credentials"),
    ("too many", creds_body(*[dict(ACME, tenant="t%d" % i) for i in range(257)]), "more than 256"),
    ("password not a string", creds_body(dict(ACME, password=12345)), "not a string"),
    ("duplicate member", b'{"v":1,"credentials":[{"tenant":"acme","username":"a","password":"b",'
                         b'"password":"c"}]}', "given twice"),
    ("tenant named site", creds_body(dict(ACME, tenant="site")), "clashes"),
]
for i, (name, body, _) in enumerate(HOSTILE):
    RESPONSES["/hostile/%d" % i] = (200, body, {})


class Handler(BaseHTTPRequestHandler):
    requests = []
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(length, 65536))
        try:
            req = json.loads(body)
        except ValueError:
            req = None
        with Handler.lock:
            Handler.requests.append((self.path, self.headers.get("Content-Type"), req))
        if req != {"v": 1, "gateway": GATEWAY, "token": TOKEN}:
            # Echoes what it was sent, as a careless server might: the
            # client must not show it.
            got = req.get("token") if isinstance(req, dict) else None
            self._answer(403, json.dumps({"error": "token %s refused" % got}).encode(), {})
            return
        status, payload, headers = RESPONSES.get(self.path, (404, b"no such path", {}))
        self._answer(status, payload, headers)

    def _answer(self, status, payload, headers):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(payload)
        except OSError:
            pass  # the client hung up on an oversize body, as it should


def start_server(pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(pki, "server.pem"), os.path.join(pki, "server.key"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.handle_error = lambda request, client_address: None  # refused handshakes are expected
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def clean_env():
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["DOCKSIDE_PROFILE_DIR"] = os.path.join(SRC, "firmware-profiles")
    return env


def dockside(*args, stdin=None):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, input=stdin, env=clean_env(), timeout=60)
    outputs.append((" ".join(args), p.stdout, p.stderr))
    return p


def snapshot(d):
    """Names, inodes, modes and contents of every file in d."""
    out = {}
    for name in sorted(os.listdir(d)):
        st = os.stat(os.path.join(d, name))
        with open(os.path.join(d, name), "rb") as f:
            out[name] = (st.st_ino, st.st_mode & 0o7777, f.read())
    return out


def parse_cred(path):
    with open(path) as f:
        return dict(line.split(" = ", 1) for line in f.read().splitlines())


def main():
    tmp = tempfile.mkdtemp(prefix="dockside-enroll-")
    try:
        run_tests(tmp)
    finally:
        if not os.environ.get("DOCKSIDE_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    for args, out, err in outputs:
        for secret in [TOKEN, *PASSWORDS.values()]:
            check(secret not in out and secret not in err, "secret printed by dockside %s" % args, out + err)
    if failures:
        print("%d check(s) failed:" % len(failures))
        for f in failures:
            print(" -", f)
        return 1
    print("enroll: all checks passed (%d dockside runs)" % len(outputs))
    return 0


def run_tests(tmp):
    pki = os.path.join(tmp, "pki")
    os.makedirs(pki)
    make_pki(pki)
    ca = os.path.join(pki, "ca.pem")
    server = start_server(pki)
    base = "https://127.0.0.1:%d" % server.server_address[1]
    common = ["--ca-file", ca, "--gateway-id", GATEWAY]

    # A fresh enrollment: three files, 0600, exactly what the server sent.
    creds = os.path.join(tmp, "creds")
    p = dockside("enroll", "--url", base + "/ok", "--token", TOKEN, "--dir", creds, *common)
    check(p.returncode == 0, "enroll against a good server succeeds", p.stdout + p.stderr)
    check(os.stat(creds).st_mode & 0o777 == 0o700, "missing credentials directory is created 0700")
    check(sorted(os.listdir(creds)) == ["acme.cred", "globex.cred", "site.cred"], "one file per entry, no temp files",
          str(os.listdir(creds)))
    for name in ("acme", "globex", "site"):
        path = os.path.join(creds, name + ".cred")
        check(os.stat(path).st_mode & 0o7777 == 0o600, "%s written mode 0600" % path, oct(os.stat(path).st_mode))
        check(os.stat(path).st_uid == os.geteuid(), "%s owned by the running user" % path)
    check(parse_cred(os.path.join(creds, "acme.cred")) ==
          {"tenant": "acme", "username": "acme-gw", "password": PASSWORDS["acme"]}, "acme.cred holds acme's credential")
    check(parse_cred(os.path.join(creds, "site.cred")) ==
          {"scope": "site", "username": "site-berlin", "password": PASSWORDS["site"]}, "site.cred holds the site's")
    check("acme-gw" in p.stdout and os.path.join(creds, "acme.cred") in p.stdout and "restart" in p.stdout,
          "output names paths, usernames and says a restart is needed", p.stdout)
    with Handler.lock:
        path, ctype, req = Handler.requests[-1]
    check(ctype == "application/json" and req == {"v": 1, "gateway": GATEWAY, "token": TOKEN},
          "request is POST application/json {v, gateway, token}", repr((ctype, req)))

    # The files pass check-config as the daemon would load them.
    conf = os.path.join(tmp, "dockside.conf")
    with open(conf, "w") as f:
        f.write("[agent]\ngateway_id = %s\nsite = berlin\n[broker]\nurl = mqtts://broker.example\n"
                "[site]\ncredentials = %s/site.cred\n[tenant acme]\ncredentials = %s/acme.cred\n"
                "[tenant globex]\ncredentials = %s/globex.cred\n" % (GATEWAY, creds, creds, creds))
    p = dockside("-c", conf, "check-config")
    check(p.returncode == 0, "check-config accepts the enrolled files", p.stdout + p.stderr)

    # Defaults from the config: gateway id and directory; token from stdin; --json.
    p = dockside("-c", conf, "enroll", "--url", base + "/ok", "--token", "-", "--ca-file", ca, "--json",
                 stdin=TOKEN + "\n")
    ok = check(p.returncode == 0, "enroll with --token - and the config's gateway id and directory",
               p.stdout + p.stderr)
    if ok:
        doc = json.loads(p.stdout)
        check(doc["ok"] is True and doc["dir"] == creds and doc["gateway"] == GATEWAY, "--json result", p.stdout)
        check([(f.get("tenant"), f.get("scope"), f["username"], f["path"]) for f in doc["files"]] ==
              [("acme", None, "acme-gw", creds + "/acme.cred"), ("globex", None, "globex-gw", creds + "/globex.cred"),
               (None, "site", "site-berlin", creds + "/site.cred")], "--json lists every file", p.stdout)
        check(doc["notes"] == [], "no notes when the config names the written files", p.stdout)

    # Token from a file.
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(TOKEN + "\n")
    other = os.path.join(tmp, "creds-token-file")
    p = dockside("enroll", "--url", base + "/ok", "--token-file", token_file, "--dir", other, *common)
    check(p.returncode == 0 and len(os.listdir(other)) == 3, "enroll with --token-file", p.stdout + p.stderr)

    # A tenant missing from the config is written, with a note saying so.
    p = dockside("-c", conf, "enroll", "--url", base + "/ok", "--token", TOKEN, "--dir", other, "--ca-file", ca)
    check(p.returncode == 0 and "note:" in p.stdout and other in p.stdout,
          "note when the config names other files than the ones written", p.stdout + p.stderr)

    before = snapshot(creds)
    state = {"expected": before}

    def refused(what, args, expect_rc=1, message=None, stdin=None):
        n_before = len(Handler.requests)
        p = dockside("enroll", "--dir", creds, *args, stdin=stdin)
        check(p.returncode == expect_rc, "%s: exit %d" % (what, expect_rc), "rc=%d\n%s" % (p.returncode, p.stderr))
        now = snapshot(creds)
        check(now == state["expected"], "%s: previous files untouched, no temp files left" % what,
              str(os.listdir(creds)))
        state["expected"] = now  # one failure is reported once, not by every later case
        if message:
            check(message in p.stderr, "%s: message says '%s'" % (what, message), p.stderr)
        return p, len(Handler.requests) - n_before

    wrong_ca = os.path.join(pki, "other-ca.pem")
    refused("server certificate from another CA",
            ["--url", base + "/ok", "--token", TOKEN, "--ca-file", wrong_ca, "--gateway-id", GATEWAY],
            message="certificate")
    refused("no --ca-file (system trust store does not know the test CA)",
            ["--url", base + "/ok", "--token", TOKEN, "--gateway-id", GATEWAY])
    _, n = refused("http:// URL", ["--url", "http://127.0.0.1:%d/ok" % server.server_address[1], "--token", TOKEN,
                                   *common], expect_rc=2, message="only https://")
    check(n == 0, "http:// URL: no request is made")
    p, _ = refused("wrong token (403)", ["--url", base + "/ok", "--token", TOKEN + "x", *common],
                   message="HTTP 403")
    check("refused" not in p.stderr, "403 body echoing the token is not shown", p.stderr)
    refused("expired token (403 with an error message)", ["--url", base + "/expired", "--token", TOKEN, *common],
            message="HTTP 403: token expired")
    refused("redirect", ["--url", base + "/redirect", "--token", TOKEN, *common], message="HTTP 302")
    refused("server error", ["--url", base + "/server-error", "--token", TOKEN, *common], message="HTTP 500")
    refused("invalid token characters", ["--url", base + "/ok", "--token", "a b", *common],
            message="printable ASCII")
    refused("empty token on stdin", ["--url", base + "/ok", "--token", "-", *common], stdin="")
    for i, (name, _, message) in enumerate(HOSTILE):
        refused("hostile response: " + name, ["--url", base + "/hostile/%d" % i, "--token", TOKEN, *common],
                message=message)
    check(not os.path.exists(os.path.join(tmp, "never")), "sanity")

    # Usage errors.
    for args in (["--token", TOKEN], ["--url", base + "/ok"], ["--url", base + "/ok", "--token", TOKEN,
                                                                "--token-file", token_file], ["--bogus"]):
        p = dockside("enroll", *args)
        check(p.returncode == 2, "usage error for %s" % args, p.stderr)
    p = dockside("enroll", "--help")
    check(p.returncode == 0 and "--token-file" in p.stdout, "--help")

    # Rotation: acme's file is replaced by a new inode holding only the new
    # credential; the others stay as they were.
    p = dockside("enroll", "--url", base + "/rotated", "--token", TOKEN, "--dir", creds, *common)
    check(p.returncode == 0, "rotation succeeds", p.stdout + p.stderr)
    after = snapshot(creds)
    check(sorted(after) == ["acme.cred", "globex.cred", "site.cred"], "rotation leaves no temp files", str(after))
    check(after["acme.cred"][0] != before["acme.cred"][0], "rotation renames a new file into place (new inode)")
    check(after["acme.cred"][1] == 0o600, "rotated file is 0600")
    check(parse_cred(os.path.join(creds, "acme.cred")) ==
          {"tenant": "acme", "username": "acme-gw-2", "password": PASSWORDS["acme2"]},
          "rotated file holds exactly the new credential")
    check(PASSWORDS["acme"].encode() not in after["acme.cred"][2], "old password fully gone")
    check(after["globex.cred"] == before["globex.cred"] and after["site.cred"] == before["site.cred"],
          "files not in the response are left alone")

    # A directory others could write to is refused (they could swap files).
    loose = os.path.join(tmp, "loose")
    os.makedirs(loose)
    os.chmod(loose, 0o777)
    p = dockside("enroll", "--url", base + "/ok", "--token", TOKEN, "--dir", loose, *common)
    check(p.returncode == 1 and os.listdir(loose) == [], "group/world-writable directory refused", p.stderr)
    server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
