#!/usr/bin/env python3
"""A UDP query flood for the rate-limiting test (standard library only).

  rrl_flood.py PORT SOURCE N NAME

Sends N queries (type A) from SOURCE (a loopback address to bind) to
127.0.0.1:PORT, in bursts of 50, reading the replies of each burst before
the next (so no reply is lost in our own socket buffer).  NAME "*.ZONE"
draws a fresh random label per query (a random-subdomain flood).  Prints
one line: full=ANSWERS tc=TRUNCATED none=NO_REPLY secs=ELAPSED.
"""
import os
import socket
import struct
import sys
import time

BURST = 50
QUIET = 0.25      # a burst is over when nothing arrived for this long


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(ident, name):
    if name.startswith("*."):
        name = os.urandom(6).hex() + name[1:]
    return struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + qname(name) + \
        struct.pack(">HH", 1, 1)


def main():
    port, source, n, name = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind((source, 0))
    full = tc = 0
    t0 = time.time()
    sent = 0
    while sent < n:
        ids = set()
        for _ in range(min(BURST, n - sent)):
            ident = sent & 0xFFFF
            s.sendto(query(ident, name), ("127.0.0.1", port))
            ids.add(ident)
            sent += 1
        s.settimeout(QUIET)
        while ids:
            try:
                d = s.recv(65535)
            except socket.timeout:
                break
            ident, flags = struct.unpack(">HH", d[:4])
            if ident not in ids:
                continue
            ids.discard(ident)
            if flags & 0x0200:
                tc += 1
            else:
                full += 1
    print("full=%d tc=%d none=%d secs=%d" % (full, tc, n - full - tc,
                                             int(time.time() - t0 + 0.999)))


if __name__ == "__main__":
    main()
