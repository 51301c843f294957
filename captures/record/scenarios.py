#!/usr/bin/python3
"""POP3 client side of the captures in captures/.

Usage: scenarios.py NAME [KEYLOG_FILE]

Each scenario talks to the throw-away Dovecot started by record.sh on
127.0.0.1 / ::1 (ports 110 and 995) using Python's poplib or a raw socket.
All credentials are FAKE.
"""
import base64
import hashlib
import hmac
import os
import poplib
import socket
import ssl
import sys
import time

HOST4 = "127.0.0.1"
HOST6 = "::1"
ALICE = ("alice", "wonderland")
BOB = ("bob", "builder")
EMPTY = ("empty@example.test", "nothing")


def log(*a):
    print(*a, flush=True)


class POP3(poplib.POP3):
    """poplib.POP3 that can set TCP_MAXSEG (so the server uses
    Ethernet-sized segments on loopback) and SO_RCVBUF before connecting."""

    def __init__(self, host=HOST4, port=110, mss=None, rcvbuf=None):
        self._mss, self._rcvbuf = mss, rcvbuf
        super().__init__(host, port, timeout=30)

    def _create_socket(self, timeout):
        return connect(self.host, self.port, self._mss, self._rcvbuf)


class POP3_SSL(poplib.POP3_SSL):
    pass


def connect(host, port, mss=None, rcvbuf=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect((host, port))
    return s


def tls_context(keylog=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # self-signed throw-away certificate
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


class Raw:
    """Minimal line-oriented POP3 over a plain socket."""

    def __init__(self, host=HOST4, port=110, **kw):
        self.s = connect(host, port, **kw)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, line):
        self.send(line.encode() + b"\r\n")
        return self.line()

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("connection closed, buffer=%r" % self.buf)
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        log("S:", ln.decode("utf-8", "replace"))
        return ln

    def multiline(self):
        lines = []
        while True:
            ln = self.line()
            if ln == b".":
                return lines
            lines.append(ln)

    def read_to_eof(self):
        while True:
            d = self.s.recv(65536)
            if not d:
                break
            self.buf += d
        data, self.buf = self.buf, b""
        return data


def login(p, cred=ALICE):
    log(p.user(cred[0]))
    log(p.pass_(cred[1]))


def expect_err(fn, *a):
    try:
        r = fn(*a)
    except poplib.error_proto as e:
        log("expected error:", e)
        return e
    raise SystemExit("expected -ERR, got %r" % (r,))


# ---------------------------------------------------------------- scenarios

def s01_full_session():
    p = POP3()
    log(p.getwelcome())
    log(p.capa())                 # CAPA before login
    login(p)
    log(p.capa())                 # CAPA after login
    log(p.stat())
    log(p.list())
    log(p.uidl())
    log(p.retr(1))
    log(p.dele(1))
    log(p.quit())


def s02_wrong_password():
    p = POP3()
    log(p.user("alice"))
    t = time.monotonic()
    expect_err(p.pass_, "not-the-password")
    log("auth failure delay: %.2f s" % (time.monotonic() - t))
    log(p.quit())


def s03_apop():
    p = POP3()
    log(p.getwelcome())
    log(p.apop(*ALICE))
    log(p.stat())
    log(p.quit())


def s04_auth_plain():
    p = POP3()
    ir = base64.b64encode(b"\0" + ALICE[0].encode() + b"\0"
                          + ALICE[1].encode()).decode()
    log(p._shortcmd("AUTH PLAIN " + ir))
    log(p.stat())
    log(p.quit())


def s05_auth_login():
    p = POP3()
    log(p._shortcmd("AUTH LOGIN"))            # "+ VXNlcm5hbWU6"
    log(p._shortcmd(base64.b64encode(ALICE[0].encode()).decode()))
    log(p._shortcmd(base64.b64encode(ALICE[1].encode()).decode()))
    log(p.quit())


def s06_auth_cram_md5():
    p = POP3()
    chal = p._shortcmd("AUTH CRAM-MD5")       # "+ <base64 challenge>"
    challenge = base64.b64decode(chal.split(b" ", 1)[1])
    log("challenge:", challenge)
    digest = hmac.new(ALICE[1].encode(), challenge, hashlib.md5).hexdigest()
    resp = base64.b64encode(f"{ALICE[0]} {digest}".encode()).decode()
    log(p._shortcmd(resp))
    log(p.quit())


def s07_stls(keylog=None):
    p = POP3()
    log(p.capa())                  # CAPA before STLS (advertises STLS)
    log(p.stls(tls_context(keylog)))
    log(p.capa())                  # CAPA inside TLS, before login
    login(p)
    log(p.capa())                  # CAPA after login
    log(p.stat())
    log(p.quit())


PIPELINE = ["STAT", "LIST", "UIDL", "LIST 1", "UIDL 1", "TOP 1 0", "RETR 1",
            "NOOP", "LIST 2", "TOP 2 1", "UIDL 2", "STAT", "QUIT"]


def s08_pipelined():
    r = Raw()
    r.line()                                     # greeting
    r.cmd("CAPA")
    caps = r.multiline()
    assert b"PIPELINING" in caps, caps
    r.cmd("USER " + ALICE[0])
    r.cmd("PASS " + ALICE[1])
    burst = "".join(c + "\r\n" for c in PIPELINE).encode()
    log("sending %d commands (%d bytes) in one send()" % (len(PIPELINE),
                                                          len(burst)))
    r.send(burst)                                # ONE write
    data = r.read_to_eof()
    log(data.decode("utf-8", "replace"))
    assert data.rstrip().endswith(b"+OK Logging out."), data[-100:]


def s09_top():
    p = POP3()
    login(p)
    log(p.top(3, 0))
    log(p.top(3, 3))
    expect_err(p._shortcmd, "TOP 3")             # missing line count
    log(p.quit())


def s10_dele_rset():
    p = POP3()
    login(p)
    log(p.dele(1))
    log(p.dele(2))
    log(p.list())                                # 3 and 4 only
    log(p.rset())
    log(p.list())                                # all four again
    log(p.quit())


def s11_wrong_phase():
    # session 1: commands in the wrong state, then a normal login
    r = Raw()
    r.line()
    r.cmd("STAT")                 # -ERR Unknown command. (AUTHORIZATION)
    r.cmd("PASS wonderland")      # -ERR No username given.
    r.cmd("XYZZY")                # -ERR Unknown command.
    r.cmd("USER " + ALICE[0])
    r.cmd("PASS " + ALICE[1])
    r.cmd("USER " + ALICE[0])     # -ERR Unknown command: USER (TRANSACTION)
    r.cmd("QUIT")
    r.s.close()
    time.sleep(0.3)
    # session 2: three bad commands -> Dovecot disconnects
    r = Raw()
    r.line()
    for c in ("FOO", "BAR 1", "BAZ"):
        r.send(c.encode() + b"\r\n")
        time.sleep(0.1)
    rest = r.read_to_eof()
    log(rest.decode())
    assert b"Too many invalid bad commands" in rest, rest
    r.s.close()


def s12_empty_mailbox():
    p = POP3()
    login(p, EMPTY)
    log(p.stat())
    log(p.list())
    log(p.uidl())
    log(p.quit())


def s13_large_retr():
    p = POP3(mss=1460)
    login(p, BOB)
    log(p.list(2))
    resp, lines, octets = p.retr(2)
    log(resp, len(lines), "lines", octets, "octets")
    log([ln for ln in lines if ln.startswith(b".")])
    log(p.quit())


def s14_reset_mid_retr():
    r = Raw(mss=1460, rcvbuf=16384)
    r.line()
    r.cmd("USER " + BOB[0])
    r.cmd("PASS " + BOB[1])
    r.send(b"RETR 2\r\n")
    got = b""
    while len(got) < 6000:
        d = r.s.recv(2048)
        if not d:
            break
        got += d
    log("read %d bytes of the RETR response, now resetting" % len(got))
    time.sleep(0.2)
    r.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                   b"\x01\x00\x00\x00\x00\x00\x00\x00")   # l_onoff=1, l_linger=0
    r.s.close()                                            # -> RST


def s15_ipv6():
    p = POP3(HOST6)
    log(p.getwelcome())
    login(p)
    log(p.stat())
    log(p.list())
    log(p.retr(2))
    log(p.quit())


def basic_session():
    p = POP3()
    login(p)
    log(p.stat())
    log(p.list())
    log(p.uidl(1))
    log(p.retr(1))
    log(p.quit())


def s21_snaplen():
    p = POP3(mss=1460)
    login(p, BOB)
    log(p.stat())
    resp, lines, octets = p.retr(3)
    log(resp, len(lines), "lines", octets, "octets")
    log(p.quit())


def s22_pop3s(keylog=None):
    p = poplib.POP3_SSL(HOST4, 995, context=tls_context(keylog), timeout=30)
    log(p.getwelcome())
    login(p)
    log(p.stat())
    log(p.quit())


def s23_mailbox():
    # what is in the mailbox: STAT, LIST, LIST n, LIST of a message that does not exist
    p = POP3()
    login(p)
    log(p.stat())
    log(p.list())
    log(p.list(2))
    expect_err(p.list, 9)
    log(p.quit())


def s24_dot_stuffing():
    # the message whose lines start with dots
    p = POP3()
    login(p)
    log(p.list(3))
    resp, lines, octets = p.retr(3)
    log(resp, lines, octets)
    log(p.quit())


def s25_two_phase_delete():
    # 1: DELE, then the client goes away without QUIT: nothing is deleted
    p = POP3()
    login(p)
    log(p.dele(1))
    log(p.list())
    p.close()
    time.sleep(0.5)
    # 2: all four are still there; DELE 2, RSET, DELE 2 again, QUIT commits
    p = POP3()
    login(p)
    log(p.list())
    log(p.dele(2))
    log(p.rset())
    log(p.dele(2))
    log(p.quit())
    time.sleep(0.5)
    # 3: three messages, numbered 1 to 3 again
    p = POP3()
    login(p)
    log(p.list())
    log(p.uidl())
    log(p.quit())


def s26_uidl_two_sessions():
    # a "leave mail on the server" client: UIDL, fetch, delete one, and next time UIDL again
    p = POP3()
    login(p)
    log(p.uidl())
    log(p.retr(1))
    log(p.dele(1))
    log(p.quit())
    time.sleep(0.5)
    p = POP3()
    login(p)
    log(p.uidl())
    log(p.list())
    log(p.quit())


def s27_mime():
    # carol's messages with MIME structure: LIST, then each retrieved
    p = POP3()
    login(p, ("carol", "messages"))
    log(p.list())
    for n in (1, 2, 3):
        resp, lines, octets = p.retr(n)
        log(resp, len(lines), octets)
    log(p.quit())


def tls12_context(keylog, ciphers):
    # TLS 1.2 with one suite: the record protection of RFC 5246 rather than TLS 1.3's.
    # OpenSSL appends to a key log: this capture's starts empty.
    if os.path.exists(keylog):
        os.remove(keylog)
    ctx = tls_context(keylog)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    return ctx


def s28_tls12_aes_gcm(keylog):
    # port 995, TLS 1.2 with ECDHE-RSA-AES128-GCM-SHA256: a login and a retrieved message
    p = poplib.POP3_SSL(HOST4, 995, timeout=30,
                        context=tls12_context(keylog, "ECDHE-RSA-AES128-GCM-SHA256"))
    log(p.getwelcome())
    login(p)
    log(p.list())
    resp, lines, octets = p.retr(1)
    log(resp, len(lines), octets)
    log(p.quit())


def s29_tls12_chacha20(keylog):
    # STLS, then TLS 1.2 with ECDHE-RSA-CHACHA20-POLY1305: carol's message with attachments
    p = POP3()
    log(p.capa())
    log(p.stls(tls12_context(keylog, "ECDHE-RSA-CHACHA20-POLY1305")))
    login(p, ("carol", "messages"))
    log(p.uidl())
    resp, lines, octets = p.retr(1)
    log(resp, len(lines), octets)
    log(p.quit())


SCENARIOS = {
    "full": s01_full_session,
    "wrongpass": s02_wrong_password,
    "apop": s03_apop,
    "authplain": s04_auth_plain,
    "authlogin": s05_auth_login,
    "crammd5": s06_auth_cram_md5,
    "stls": s07_stls,
    "pipelined": s08_pipelined,
    "top": s09_top,
    "dele-rset": s10_dele_rset,
    "wrong-phase": s11_wrong_phase,
    "empty": s12_empty_mailbox,
    "large": s13_large_retr,
    "reset": s14_reset_mid_retr,
    "ipv6": s15_ipv6,
    "basic": basic_session,
    "snaplen": s21_snaplen,
    "pop3s": s22_pop3s,
    "mailbox": s23_mailbox,
    "dots": s24_dot_stuffing,
    "two-phase": s25_two_phase_delete,
    "uidl-sessions": s26_uidl_two_sessions,
    "mime": s27_mime,
    "tls12-aes-gcm": s28_tls12_aes_gcm,
    "tls12-chacha20": s29_tls12_chacha20,
}

if __name__ == "__main__":
    fn = SCENARIOS[sys.argv[1]]
    if len(sys.argv) > 2:
        fn(sys.argv[2])
    else:
        fn()
