#!/usr/bin/python3
"""Check one composed alert mail with a real decoder.

    check_mail.py MESSAGE EXPECT.json

MESSAGE is the message as tramon hands it to libcurl; EXPECT.json holds
what a mail client must show (UTF-8):

    {"subject": "...", "from_name": "...", "from_addr": "a@b",
     "to": [["Name", "a@b"], ["", "c@d"]],
     "text": "...", "html": "..." or null,
     "date": 1795700000, "message_id": "x@y" (no <>),
     "in_reply_to": "x@y" or null, "late": false,
     "attachments": [{"filename": "a.pdf", "type": "application/pdf",
                      "hex": "255044..."}]  (optional)}

With attachments the message must be multipart/mixed: the text (or the
text/HTML alternative) first, then each file, base64, as an attachment
with its name, whose decoded bytes must be exactly the expected ones.

The message is parsed with email.parser.BytesParser(policy=default), the
way Python's mail tools read it; any parser defect fails the check, as
does a line that is not CRLF-terminated, longer than 998 octets (78 in
the header), or a byte that is not 7-bit.  Prints "# ..." lines (TAP
comments) for each mismatch; exit 0 when everything matches, 1 if not,
2 on bad usage.
"""
import email
import json
import re
import sys
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import getaddresses

problems = []


def bad(what, got=None, want=None):
    if got is None and want is None:
        problems.append(what)
    else:
        problems.append("%s: got %r, want %r" % (what, got, want))


def same(what, got, want):
    if got != want:
        bad(what, got, want)


def check_wire(raw):
    """CRLF only, line lengths, 7-bit."""
    if any(b >= 0x80 for b in raw):
        bad("8-bit octet in the message")
    if not raw.endswith(b"\r\n"):
        bad("message does not end with CRLF")
    lines = raw.split(b"\r\n")
    in_header = True
    for n, line in enumerate(lines[:-1], 1):
        if b"\n" in line or b"\r" in line:
            bad("line %d: bare CR or LF" % n)
        if len(line) > 998:
            bad("line %d: %d octets > 998" % (n, len(line)))
        if in_header:
            if line == b"":
                in_header = False
            elif len(line) > 78:
                bad("header line %d: %d octets > 78: %r"
                    % (n, len(line), line[:100]))
            elif line[:1] in (b" ", b"\t") and not line.strip():
                bad("header line %d: white space only" % n)


def text_of(part, subtype):
    """Decoded text of a text/* part, with LF line ends."""
    same("content type", part.get_content_type(), "text/" + subtype)
    same("charset", part.get_content_charset(), "utf-8")
    same("transfer encoding", part.get("Content-Transfer-Encoding"),
         "quoted-printable")
    return part.get_content().replace("\r\n", "\n")


def want_body(s):
    # the message always ends a body with a line break
    return s if s == "" or s.endswith("\n") else s + "\n"


# Two encoded words in a row, as in a display name too long for one.
ADJACENT_EW = re.compile(r"\?=\s+=\?")


def mailboxes(msg, legacy, name):
    """[[display name, address], ...] of an address header.

    policy.default keeps the white space between two adjacent encoded
    words of a display name (CPython gh-128110, open in 3.11), which RFC
    2047 6.2 says to drop; where the header has such words, and only
    then, the names are decoded again with the older email.header
    decoder, which follows the RFC, and both answers are shown.
    """
    modern = [[a.display_name, a.addr_spec] for a in msg[name].addresses]
    raw = legacy[name]
    if not ADJACENT_EW.search(raw):
        return modern
    older = [[str(make_header(decode_header(n))), a]
             for n, a in getaddresses([raw])]
    if older != modern:
        print("# %s: %s: policy.default says %r (gh-128110), email.header "
              "says %r" % (sys.argv[1], name, modern, older))
    return older


def header_defects(msg):
    for name, value in msg.items():
        for d in getattr(value, "defects", ()):
            bad("%s: header defect %r" % (name, d))


def main():
    if len(sys.argv) != 3:
        print("usage: check_mail.py MESSAGE EXPECT.json", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    with open(sys.argv[2], encoding="utf-8") as f:
        want = json.load(f)

    check_wire(raw)
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    for d in msg.defects:
        bad("message defect %r" % d)
    header_defects(msg)

    same("Subject", str(msg["Subject"]), want["subject"])

    legacy = email.message_from_bytes(raw, policy=policy.compat32)
    same("From", mailboxes(msg, legacy, "From"),
         [[want["from_name"], want["from_addr"]]])
    same("To", mailboxes(msg, legacy, "To"), want["to"])

    date = msg["Date"]
    if date is None or date.datetime is None:
        bad("Date does not parse: %r" % date)
    else:
        same("Date", int(date.datetime.timestamp()), want["date"])

    same("Message-ID", str(msg["Message-ID"]), "<%s>" % want["message_id"])
    ref = want.get("in_reply_to")
    for h in ("In-Reply-To", "References"):
        same(h, None if msg[h] is None else str(msg[h]),
             None if ref is None else "<%s>" % ref)

    same("MIME-Version", str(msg["MIME-Version"]), "1.0")
    same("Auto-Submitted", str(msg["Auto-Submitted"]), "auto-generated")
    same("X-Mailer", str(msg["X-Mailer"]), "tramon")
    same("X-Tramon-Delivered-Late",
         None if msg["X-Tramon-Delivered-Late"] is None
         else str(msg["X-Tramon-Delivered-Late"]),
         "yes" if want.get("late") else None)

    files = want.get("attachments") or []
    body = msg
    if files:
        same("content type", msg.get_content_type(), "multipart/mixed")
        parts = list(msg.iter_parts())
        same("parts", len(parts), 1 + len(files))
        if parts:
            body = parts[0]
        for part, f in zip(parts[1:], files):
            same("attachment disposition", part.get_content_disposition(),
                 "attachment")
            same("attachment name", part.get_filename(), f["filename"])
            same("attachment type", part.get_content_type(),
                 f["type"].split(";")[0])
            same("attachment encoding",
                 part.get("Content-Transfer-Encoding"), "base64")
            got = part.get_payload(decode=True)
            if got != bytes.fromhex(f["hex"]):
                bad("attachment %s: %d bytes differ from the %d expected"
                    % (f["filename"], len(got or b""), len(f["hex"]) // 2))

    if want.get("html") is None:
        same("body", text_of(body, "plain"), want_body(want["text"]))
    else:
        same("content type", body.get_content_type(),
             "multipart/alternative")
        parts = list(body.iter_parts())
        same("parts", len(parts), 2)
        if len(parts) == 2:
            same("text part", text_of(parts[0], "plain"),
                 want_body(want["text"]))
            same("html part", text_of(parts[1], "html"),
                 want_body(want["html"]))
        same("preferred body", msg.get_body(("html", "plain"))
             .get_content_type(), "text/html")

    for p in problems:
        print("# %s: %s" % (sys.argv[1], p))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
