"""dockside enroll gives up on a server that accepts the TCP connection and
then says nothing: it fails with exit 1 after the 10 s connect timeout
(which covers the TLS handshake) instead of hanging, and writes nothing."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.environ.get("DOCKSIDE_BIN", "dockside")


def main():
    tmp = tempfile.mkdtemp(prefix="dockside-enroll-timeout-")
    failures = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    held = []

    def accept_and_stay_silent():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=accept_and_stay_silent, daemon=True).start()
    try:
        creds = os.path.join(tmp, "creds")
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        start = time.monotonic()
        p = subprocess.run([BIN, "enroll", "--url", "https://127.0.0.1:%d/enroll" % listener.getsockname()[1],
                            "--token", "tok-silent", "--gateway-id", "gw-1", "--dir", creds],
                           capture_output=True, text=True, env=env, timeout=60)
        elapsed = time.monotonic() - start
        if p.returncode != 1:
            failures.append("silent server: exit 1 expected, got %d\n%s" % (p.returncode, p.stderr))
        if not 9 <= elapsed <= 20:
            failures.append("silent server: gave up after %.1f s, expected about 10 s" % elapsed)
        if "timed out" not in p.stderr.lower() and "timeout" not in p.stderr.lower():
            failures.append("silent server: message should say it timed out\n%s" % p.stderr)
        if os.path.exists(creds):
            failures.append("silent server: the credentials directory was created")
        if "tok-silent" in p.stdout + p.stderr:
            failures.append("token printed")
    finally:
        listener.close()
        for c in held:
            c.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("\n".join(failures))
        return 1
    print("enroll timeout: ok (%.1f s)" % elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
