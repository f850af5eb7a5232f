"""A small MQTT v5 broker for fault tests, speaking the wire protocol.

mosquitto cannot be told to answer a PUBLISH with, say, 0x97 (quota
exceeded); this server can. It accepts every CONNECT, grants every
SUBSCRIBE, and answers each QoS 1 PUBLISH with the reason code that
`policy(conn_username, topic, payload, count)` returns. Every publish is
recorded as (username, topic, payload bytes, reason).
"""
import socket
import struct
import threading

from harness import stop_later


def _read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def _read_varint(sock):
    mult, value = 1, 0
    for _ in range(4):
        b = _read_exact(sock, 1)[0]
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value
        mult *= 128
    raise ValueError("bad varint")


def _varint_at(buf, i):
    mult, value = 1, 0
    while True:
        b = buf[i]
        i += 1
        value += (b & 0x7F) * mult
        if not b & 0x80:
            return value, i
        mult *= 128


def _encode_varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8_at(buf, i):
    (n,) = struct.unpack_from(">H", buf, i)
    return buf[i + 2:i + 2 + n], i + 2 + n


class FakeBroker:
    def __init__(self, policy=None, receive_maximum=None, ack_delay=0.0):
        self.policy = policy or (lambda user, topic, payload, count: 0)
        self.receive_maximum = receive_maximum
        self.ack_delay = ack_delay    # seconds before each PUBACK goes out
        self.outstanding = {}         # username -> QoS 1 publishes not yet acknowledged
        self.max_outstanding = {}     # username -> the most there ever were
        self.lock = threading.Lock()
        self.publishes = []  # (username, topic, payload, reason)
        self.count = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(16)
        self.running = True
        self.conns = []
        stop_later(self)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _send(self, c, ptype, body):
        c.sendall(bytes([ptype]) + _encode_varint(len(body)) + body)

    def _serve(self, c):
        user = None
        try:
            while self.running:
                first = _read_exact(c, 1)[0]
                body = _read_exact(c, _read_varint(c))
                kind = first >> 4
                if kind == 1:  # CONNECT
                    user = self._parse_connect(body)
                    props = b""
                    if self.receive_maximum:
                        props = bytes([0x21]) + struct.pack(">H", self.receive_maximum)
                    self._send(c, 0x20, b"\x00\x00" + _encode_varint(len(props)) + props)
                elif kind == 3:  # PUBLISH
                    qos = (first >> 1) & 3
                    topic, i = _utf8_at(body, 0)
                    pid = None
                    if qos:
                        (pid,) = struct.unpack_from(">H", body, i)
                        i += 2
                    plen, i = _varint_at(body, i)
                    payload = body[i + plen:]
                    with self.lock:
                        self.count += 1
                        n = self.count
                    reason = self.policy(user, topic.decode(), payload, n)
                    with self.lock:
                        self.publishes.append((user, topic.decode(), payload, reason))
                    if qos == 1:
                        self._ack_later(c, user, pid, reason)
                elif kind == 8:  # SUBSCRIBE
                    (pid,) = struct.unpack_from(">H", body, 0)
                    plen, i = _varint_at(body, 2)
                    i += plen
                    codes = bytearray()
                    while i < len(body):
                        _, i = _utf8_at(body, i)
                        i += 1
                        codes.append(1)
                    self._send(c, 0x90, struct.pack(">H", pid) + b"\x00" + bytes(codes))
                elif kind == 12:  # PINGREQ
                    self._send(c, 0xD0, b"")
                elif kind == 14:  # DISCONNECT
                    return
        except (ConnectionError, OSError, ValueError, struct.error):
            pass
        finally:
            c.close()

    def _ack_later(self, c, user, pid, reason):
        """Counts the publish as in flight until its PUBACK is sent."""
        with self.lock:
            n = self.outstanding.get(user, 0) + 1
            self.outstanding[user] = n
            self.max_outstanding[user] = max(self.max_outstanding.get(user, 0), n)

        def send():
            with self.lock:
                self.outstanding[user] -= 1
            try:
                self._send(c, 0x40, struct.pack(">HB", pid, reason) + b"\x00")
            except OSError:
                pass
        if self.ack_delay > 0:
            threading.Timer(self.ack_delay, send).start()
        else:
            send()

    @staticmethod
    def _parse_connect(body):
        _, i = _utf8_at(body, 0)         # protocol name
        i += 1                           # level
        flags = body[i]
        i += 3                           # flags, keepalive
        plen, i = _varint_at(body, i)
        i += plen
        _, i = _utf8_at(body, i)         # client id
        if flags & 0x04:                 # will
            wplen, i = _varint_at(body, i)
            i += wplen
            _, i = _utf8_at(body, i)
            _, i = _utf8_at(body, i)
        if flags & 0x80:
            user, i = _utf8_at(body, i)
            return user.decode()
        return None

    def snapshot(self):
        with self.lock:
            return list(self.publishes)

    def stop(self):
        self.running = False
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
