#!/usr/bin/env python3
"""How soon a tunnel is usable after 'burrow tunnel create' returns, and
refused after 'burrow tunnel rm' returns (standard library only).  It reports
figures; the suites assert only that the first try works.

  latency.py edge BURROW PORT CAFILE N TARGET
      N times: create a tls tunnel to TARGET, then TLS handshakes with its
      name to the edge on 127.0.0.1:PORT (verified against CAFILE) until one
      succeeds, and one more (what a handshake costs anyway); then remove
      it and handshake until the edge refuses.
  latency.py dns BURROW PORT N TARGET
      The same with A queries to burrow-dns on 127.0.0.1:PORT: until the
      answer is NOERROR with an address, then until it is NXDOMAIN.

Prints one line per direction: max and median in ms from the command's
return to the end of the first try that showed the change, and how many
showed it on the first try.  The store is $BURROW_DB.
"""
import json
import os
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "dns_tools"))
import dnsraw  # noqa: E402

LIMIT_S = 5.0


def handshake(port, ctx, host):
    """True if a verified TLS handshake for host completes."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
            with ctx.wrap_socket(raw, server_hostname=host):
                return True
    except (OSError, ssl.SSLError):
        return False


def dns_rcode(port, host):
    d = dnsraw.udp(port, dnsraw.query(host), timeout=1)
    if d is None:
        return None
    fl, an = struct.unpack(">H", d[2:4])[0], struct.unpack(">H", d[6:8])[0]
    return "NOERROR" if (fl & 15) == 0 and an > 0 else ("NXDOMAIN" if (fl & 15) == 3 else "other")


def until(check):
    """ms from now until check() is true, and the number of tries."""
    t0 = time.perf_counter()
    tries = 0
    while True:
        tries += 1
        if check():
            return (time.perf_counter() - t0) * 1e3, tries
        if time.perf_counter() - t0 > LIMIT_S:
            return float("inf"), tries


def burrow(exe, *args):
    out = subprocess.run([exe, *args], check=True, capture_output=True, text=True).stdout
    return out


def report(what, samples):
    ms = [s[0] for s in samples]
    first = sum(1 for s in samples if s[1] == 1)
    print("%s: max %.1f ms, median %.1f ms, first try %d/%d" %
          (what, max(ms), statistics.median(ms), first, len(samples)))


def main():
    mode, exe = sys.argv[1], sys.argv[2]
    if mode == "edge":
        port, cafile, n, target = int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
        ctx = ssl.create_default_context(cafile=cafile)
        up = lambda h: handshake(port, ctx, h)
        down = lambda h: not handshake(port, ctx, h)
        names = ("create -> handshake", "rm -> refused", "known tunnel, one handshake")
    else:
        port, n, target = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        up = lambda h: dns_rcode(port, h) == "NOERROR"
        down = lambda h: dns_rcode(port, h) == "NXDOMAIN"
        names = ("create -> A answer", "rm -> NXDOMAIN", "known name, one query")
    created, again, removed = [], [], []
    for _ in range(n):
        host = json.loads(burrow(exe, "tunnel", "create", "--target", target, "--json"))["hostname"]
        created.append(until(lambda: up(host)))
        again.append(until(lambda: up(host)))
        burrow(exe, "tunnel", "rm", host)
        removed.append(until(lambda: down(host)))
    report(names[0], created)
    report(names[2], again)
    report(names[1], removed)
    return 0 if all(s[0] != float("inf") for s in created + again + removed) else 1


if __name__ == "__main__":
    sys.exit(main())
