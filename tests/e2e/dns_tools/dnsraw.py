#!/usr/bin/env python3
"""Raw DNS clients for burrow-dns's end-to-end tests (standard library only).

  dnsraw.py bad PORT                 crafted bad packets over UDP, one line each
  dnsraw.py pipeline PORT NAME...    all queries on one TCP connection at once
  dnsraw.py idle PORT LIMIT          seconds until the server closes an idle TCP
  dnsraw.py flood PORT N NAME        N idle TCP connections, then a query on a new one
"""
import socket
import struct
import sys
import time


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(flags, qd=1, an=0, ns=0, ar=0, ident=0x1234):
    return struct.pack(">HHHHHH", ident, flags, qd, an, ns, ar)


def query(name, qtype=1, ident=0x1234, flags=0x0100):
    return header(flags, ident=ident) + qname(name) + struct.pack(">HH", qtype, 1)


def summary(d):
    if d is None:
        return "no reply"
    ident, fl, qd, an, ns, ar = struct.unpack(">HHHHHH", d[:12])
    return "flags=%04x rcode=%d qd=%d an=%d ns=%d ar=%d" % (fl, fl & 15, qd, an, ns, ar)


def udp(port, pkt, timeout=0.7):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()


def bad(port, zone):
    qn = qname("x." + zone)
    opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
    cases = [
        ("short header", b"\x12\x34\x01"),
        ("qr set", header(0x8100) + qn + b"\x00\x01\x00\x01"),
        ("qdcount 0", header(0x0100, 0)),
        ("qdcount 2", header(0x0100, 2) + 2 * (qn + b"\x00\x01\x00\x01")),
        ("pointer loop", header(0x0100) + b"\xc0\x0c\x00\x01\x00\x01"),
        ("pointer forward", header(0x0100) + b"\xc0\x20\x00\x01\x00\x01" + 20 * b"\0"),
        ("label past end", header(0x0100) + b"\x3fabc"),
        ("label type 0x40", header(0x0100) + b"\x40abc\x00\x00\x01\x00\x01"),
        ("no qtype", header(0x0100) + qn + b"\x00"),
        ("name over 255", header(0x0100) + 4 * (b"\x3f" + b"a" * 63) + b"\x00\x00\x01\x00\x01"),
        ("ancount 1", header(0x0100, 1, 1) + qn + b"\x00\x01\x00\x01"),
        ("garbage additional", header(0x0100, 1, 0, 0, 1) + qn + b"\x00\x01\x00\x01"),
        ("two OPT", header(0x0100, 1, 0, 0, 2) + qn + b"\x00\x01\x00\x01" + 2 * opt),
        ("OPT rdlen past end", header(0x0100, 1, 0, 0, 1) + qn + b"\x00\x01\x00\x01" + opt[:-2] + b"\x00\x08\x00\x01"),
        ("OPT bad option", header(0x0100, 1, 0, 0, 1) + qn + b"\x00\x01\x00\x01" + opt[:-2] + b"\x00\x05\x00\x01\x00\x05\x00"),
        ("opcode 5", header(0x2900) + qn + b"\x00\x01\x00\x01"),
        ("opcode 2", header(0x1100) + qn + b"\x00\x01\x00\x01"),
        # An unknown opcode is NOTIMP before anything else is read (NSD).
        ("opcode 15 no question", header(0x7800, 0)),
        ("STATUS no question", header(0x1100, 0)),
        ("UPDATE with garbage", header(0x2800, 3, 1, 1, 1) + b"\xc0\x0c"),
        ("NOTIFY no question", header(0x2000, 0)),
        ("rcode in query", header(0x0105) + qn + b"\x00\x01\x00\x01"),
        ("class HS", header(0x0100) + qn + b"\x00\x01\x00\x04"),
        ("class CH", header(0x0100) + qn + b"\x00\x01\x00\x03"),
        ("class 0", header(0x0100) + qn + b"\x00\x01\x00\x00"),
        ("qtype 0", header(0x0100) + qn + b"\x00\x00\x00\x01"),
        ("AXFR over UDP", header(0x0100) + qname(zone) + b"\x00\xfc\x00\x01"),
        ("OPT size 100", header(0x0100, 1, 0, 0, 1) + qn + b"\x00\x01\x00\x01" + b"\x00\x00\x29\x00\x64\x00\x00\x00\x00\x00\x00"),
        ("empty packet", b""),
    ]
    for name, pkt in cases:
        print("%-20s %s" % (name, summary(udp(port, pkt))))


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def pipeline(port, names):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    msgs = b""
    for i, name in enumerate(names):
        q = query(name, ident=1000 + i)
        msgs += struct.pack(">H", len(q)) + q
    s.sendall(msgs)          # every query before reading any answer
    seen = {}
    for _ in names:
        (length,) = struct.unpack(">H", recv_exact(s, 2))
        d = recv_exact(s, length)
        seen[struct.unpack(">H", d[:2])[0]] = summary(d)
    s.close()
    for i, name in enumerate(names):
        print("%s %s" % (name, seen.get(1000 + i, "missing")))


def idle(port, limit):
    s = socket.create_connection(("127.0.0.1", port), timeout=limit)
    t0 = time.time()
    try:
        data = s.recv(1)
        print("closed after %.1f s%s" % (time.time() - t0, "" if not data else " (data?)"))
    except socket.timeout:
        print("still open after %d s" % limit)
    except ConnectionResetError:
        print("closed after %.1f s" % (time.time() - t0))


def flood(port, n, name):
    conns = [socket.create_connection(("127.0.0.1", port), timeout=3) for _ in range(n)]
    time.sleep(0.2)
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    q = query(name)
    s.sendall(struct.pack(">H", len(q)) + q)
    try:
        (length,) = struct.unpack(">H", recv_exact(s, 2))
        print(summary(recv_exact(s, length)))
    except (EOFError, socket.timeout, ConnectionResetError) as e:
        print("no answer: %s" % e)
    for c in conns:
        c.close()
    s.close()


if __name__ == "__main__":
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "bad":
        bad(port, sys.argv[3])
    elif cmd == "pipeline":
        pipeline(port, sys.argv[3:])
    elif cmd == "idle":
        idle(port, int(sys.argv[3]))
    elif cmd == "flood":
        flood(port, int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)
