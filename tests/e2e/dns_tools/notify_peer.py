#!/usr/bin/env python3
"""A fake secondary for burrow-dns's NOTIFY tests (standard library only).

  notify_peer.py PORT LOG

Listens on 127.0.0.1:PORT (UDP; 0 picks a free port) and answers every
NOTIFY (RFC 1996) with an unsigned NOERROR, as anyone who can spoof a
secondary's address could.  Each packet received appends one line to LOG:

  NOTIFY <zone> id=<id> tsig=<key name, or - if unsigned>

and "ready PORT" goes to stdout once the socket is bound.
"""
import socket
import struct
import sys

OPCODE_NOTIFY = 4
TYPE_TSIG = 250


def name_at(d, off):
    """The uncompressed name at off (NOTIFYs from burrow-dns use none)."""
    labels = []
    while True:
        n = d[off]
        if n == 0:
            return ".".join(labels) + ".", off + 1
        if n & 0xC0:
            raise ValueError("compressed name")
        labels.append(d[off + 1:off + 1 + n].decode("ascii", "replace").lower())
        off += 1 + n


def tsig_key(d, off, arcount):
    """The key name of a TSIG record at off, the last additional record."""
    if arcount == 0:
        return "-"
    for _ in range(arcount):
        owner, off = name_at(d, off)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", d[off:off + 10])
        off += 10 + rdlen
    return owner if rtype == TYPE_TSIG else "-"


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    print("ready %d" % s.getsockname()[1], flush=True)
    with open(log, "a", buffering=1) as out:
        while True:
            d, peer = s.recvfrom(65535)
            try:
                ident, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", d[:12])
                if flags & 0x8000 or (flags >> 11) & 15 != OPCODE_NOTIFY or qd != 1:
                    continue
                zone, qend = name_at(d, 12)
                qend += 4
                key = tsig_key(d, qend, an + ns + ar) if an + ns == 0 else "?"
            except (ValueError, IndexError, struct.error):
                continue
            out.write("NOTIFY %s id=%d tsig=%s\n" % (zone, ident, key))
            # QR, the NOTIFY opcode, AA, NOERROR; the question; no TSIG.
            reply = struct.pack(">HHHHHH", ident, 0x8000 | OPCODE_NOTIFY << 11 | 0x0400,
                                1, 0, 0, 0) + d[12:qend]
            s.sendto(reply, peer)


if __name__ == "__main__":
    main()
