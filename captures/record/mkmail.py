#!/usr/bin/python3
"""Write the passwd file and the deterministic Maildir mailboxes used by
record.sh.  Usage: mkmail.py BASE

All credentials are FAKE and only exist inside the throw-away Dovecot that
record.sh starts on loopback.

Every mailbox gets a hand-written dovecot-uidlist with a fixed UIDVALIDITY,
so the UIDLs (pop3_uidl_format = %08Xu%08Xv) are identical on every run.
Messages are stored with LF line endings; Dovecot sends them with CRLF.
"""
import hashlib
import os
import shutil
import sys

USERS = {
    # user: password  (FAKE)
    "alice": "wonderland",
    "bob": "builder",
    "empty@example.test": "nothing",
    "carol": "messages",
}

UIDVALIDITY = 1704067200  # 2024-01-01T00:00:00Z, fixed on purpose
MTIME_BASE = 1704103200   # 2024-01-01T10:00:00Z


def msg(n, frm, to, subject, date, body, extra=""):
    hdr = (
        f"Return-Path: <{frm.split('<')[-1].rstrip('>')}>\n"
        f"From: {frm}\n"
        f"To: {to}\n"
        f"Subject: {subject}\n"
        f"Date: {date}\n"
        f"Message-ID: <{n}@pop3scope.example.test>\n"
        "MIME-Version: 1.0\n"
    )
    if "Content-Type" not in extra:
        hdr += "Content-Type: text/plain; charset=us-ascii\n"
    return hdr + extra + "\n" + body


def alice_msgs():
    a = "Alice <alice@example.test>"
    return [
        msg("alice-1", "March Hare <hare@example.test>", a,
            "Tea at six", "Mon, 01 Jan 2024 10:00:00 +0000",
            "Hello Alice,\n\nTea is at six o'clock, as always.\n"
            "Please bring the jam.\n\n-- \nThe March Hare\n"),
        msg("alice-2", "Mad Hatter <hatter@example.test>", a,
            "Why is a raven like a writing-desk?",
            "Mon, 01 Jan 2024 10:05:00 +0000",
            "I haven't the slightest idea.\n"
            "Have you guessed the riddle yet?\n",
            extra="X-Riddle: a very long header line that is folded\n"
                  " onto a continuation line by the sender\n"),
        msg("alice-3", "Dormouse <dormouse@example.test>", a,
            "Lines that start with a dot",
            "Mon, 01 Jan 2024 10:10:00 +0000",
            ".this line starts with a dot and is dot-stuffed on the wire\n"
            ".\n"
            "..two dots\n"
            "The line above the previous one was a lone dot.\n"
            "Twinkle, twinkle, little bat!\n"
            "How I wonder what you're at!\n"),
        msg("alice-4", "Caterpillar <caterpillar@example.test>", a,
            "=?UTF-8?Q?Wh=C3=B6_are_y=C3=B6u=3F?=",
            "Mon, 01 Jan 2024 10:15:00 +0000",
            "Wh\u00f6 are y\u00f6u?  \u2014 an 8-bit UTF-8 body.\n",
            extra="Content-Type: text/plain; charset=utf-8\n"
                  "Content-Transfer-Encoding: 8bit\n"),
    ]


def large_body(lines=2400):
    out = []
    for i in range(1, lines + 1):
        if i % 200 == 0:
            # several lines beginning with '.', dot-stuffed by the server
            out.append(f".dot-line {i:05d}: this line begins with a period "
                       "and must be dot-stuffed ...........")
        elif i == 1201:
            out.append(".")   # a lone dot in the middle of the body -> ".."
        elif i == 1202:
            out.append("..")  # -> "..."
        else:
            out.append(f"Line {i:05d}: Can you row the boat? Yes we can! "
                       "Bob the Builder, can we fix it? Yes.")
    return "\n".join(out) + "\nEnd of the large message.\n"


def medium_body(lines=80):
    return "".join(f"Medium line {i:03d}: scoop, muck and dizzy are "
                   "mixing concrete on the building site.\n"
                   for i in range(1, lines + 1))


def bob_msgs():
    b = "Bob <bob@example.test>"
    return [
        msg("bob-1", "Wendy <wendy@example.test>", b,
            "Short note", "Tue, 02 Jan 2024 08:00:00 +0000",
            "Bob, the cement mixer is back.\n"),
        msg("bob-2", "Scoop <scoop@example.test>", b,
            "Large message (about 200 KB)",
            "Tue, 02 Jan 2024 08:30:00 +0000", large_body()),
        msg("bob-3", "Dizzy <dizzy@example.test>", b,
            "Medium message (about 7 KB)",
            "Tue, 02 Jan 2024 09:00:00 +0000", medium_body()),
    ]


def b64(data):
    """Base64 in 76-character lines, as MIME writes it (RFC 2045 section 6.8)."""
    import base64
    text = base64.b64encode(data).decode()
    return "\n".join(text[i:i + 76] for i in range(0, len(text), 76)) + "\n"


def attachment_bytes():
    """The attachments, from fixed bytes: a small PNG (signature, IHDR, IEND), a PDF-like
    binary, and a UTF-8 text. tests/it/sessions.rs checks the extracted files against them."""
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d4944415478da63f8cfc0f01f0005000201e0a4e3900000000049454e44ae426082")
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    text = "季度报告：一切顺利。\nQuarterly report: all is well.\n".encode()
    return png, pdf, text


def carol_msgs():
    """Messages with MIME structure, each part of known content (issue 16)."""
    c = "Carol <carol@example.test>"
    png, pdf, text = attachment_bytes()
    mixed = msg(
        "carol-1", "=?UTF-8?B?5byg5LiJ?= <zhang@example.test>", c,
        "=?UTF-8?B?5a2j5bqm5oql5ZGK?=", "Wed, 03 Jan 2024 09:00:00 +0800",
        "--mixed-1\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "Bonjour Carol, voici le rapport =E2=80=94 see the attachments.\n\n"
        "--mixed-1\n"
        "Content-Type: application/pdf; name=\"report.pdf\"\n"
        "Content-Disposition: attachment; filename=\"report.pdf\"\n"
        "Content-Transfer-Encoding: base64\n\n" + b64(pdf) + "\n"
        "--mixed-1\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.txt\n"
        "Content-Transfer-Encoding: base64\n\n" + b64(text) + "\n"
        "--mixed-1--\n",
        extra="Content-Type: multipart/mixed; boundary=\"mixed-1\"\n")
    related = msg(
        "carol-2", "Dinah <dinah@example.test>", c,
        "A picture inline", "Wed, 03 Jan 2024 09:30:00 +0000",
        "--rel-2\n"
        "Content-Type: multipart/alternative; boundary=\"alt-2\"\n\n"
        "--alt-2\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "The cat, in the picture.\n\n"
        "--alt-2\n"
        "Content-Type: text/html; charset=us-ascii\n\n"
        "<p>The cat, in the picture: <img src=\"cid:cat@example.test\"></p>\n\n"
        "--alt-2--\n\n"
        "--rel-2\n"
        "Content-Type: image/png\n"
        "Content-ID: <cat@example.test>\n"
        "Content-Disposition: inline; filename=\"cat.png\"\n"
        "Content-Transfer-Encoding: base64\n\n" + b64(png) + "\n"
        "--rel-2--\n",
        extra="Content-Type: multipart/related; boundary=\"rel-2\"\n")
    forwarded = msg(
        "carol-3", "Eve <eve@example.test>", c,
        "Fwd: Tea at six", "Wed, 03 Jan 2024 10:00:00 +0000",
        "--fwd-3\n"
        "Content-Type: text/plain; charset=us-ascii\n\n"
        "Forwarding this, as promised.\n\n"
        "--fwd-3\n"
        "Content-Type: message/rfc822\n\n"
        "From: March Hare <hare@example.test>\n"
        "To: Alice <alice@example.test>\n"
        "Subject: Tea at six\n"
        "Date: Mon, 01 Jan 2024 10:00:00 +0000\n\n"
        "Tea is at six o'clock, as always.\n\n"
        "--fwd-3--\n",
        extra="Content-Type: multipart/mixed; boundary=\"fwd-3\"\n")
    return [mixed, related, forwarded]


def write_maildir(home, messages, user):
    md = os.path.join(home, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    guid = hashlib.md5(user.encode()).hexdigest()
    uidlist = [f"3 V{UIDVALIDITY} N{len(messages) + 1} G{guid}"]
    for i, text in enumerate(messages, 1):
        base = f"{MTIME_BASE + i * 60}.M{i}P1000.pop3scope"
        path = os.path.join(md, "cur", base + ":2,")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        t = MTIME_BASE + i * 60
        os.utime(path, (t, t))
        uidlist.append(f"{i} :{base}")
    with open(os.path.join(md, "dovecot-uidlist"), "w") as f:
        f.write("\n".join(uidlist) + "\n")


def main():
    base = sys.argv[1]
    with open(os.path.join(base, "passwd"), "w") as f:
        for u, p in USERS.items():
            f.write(f"{u}:{{PLAIN}}{p}::::::\n")
    mail = os.path.join(base, "mail")
    shutil.rmtree(mail, ignore_errors=True)
    os.makedirs(mail)
    write_maildir(os.path.join(mail, "alice"), alice_msgs(), "alice")
    write_maildir(os.path.join(mail, "bob"), bob_msgs(), "bob")
    write_maildir(os.path.join(mail, "empty@example.test"), [],
                  "empty@example.test")
    write_maildir(os.path.join(mail, "carol"), carol_msgs(), "carol")
    for root, dirs, files in os.walk(mail):
        for n in dirs + files:
            shutil.chown(os.path.join(root, n), "mail", "mail")
    shutil.chown(mail, "mail", "mail")


if __name__ == "__main__":
    main()
