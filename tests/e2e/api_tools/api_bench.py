#!/usr/bin/env python3
"""Load and latency tools for make bench-api (standard library only).

  api_bench.py first API KEY DNS_PORT EDGE_PORT CAFILE N TARGET RUN [BURROW]
      N times: POST a tunnel to burrow-api (keep-alive connection), then
      A queries to burrow-dns until one answers, then TLS handshakes to the
      edge until one completes.  With BURROW, the same through
      'BURROW tunnel create --json' instead (the CLI path).  Prints the
      median and max of the create itself and of create-to-DNS and
      create-to-handshake, in ms, and how many worked on the first try.
  api_bench.py cli BURROW N TARGET RUN
      N sequential 'BURROW tunnel create': creates/s and CPU ms per create
      (the processes' user+system time).
  api_bench.py renew API KEY SANDBOXES INTERVAL SECONDS TARGET RUN
      Creates SANDBOXES sandboxes with one leased tunnel each, then renews
      every sandbox's lease once per INTERVAL seconds, spread evenly, for
      SECONDS.  Prints the renewals done, the rate, p50/p99 latency in ms.

RUN names the run: sandbox names carry it, so no create of a later run is
an idempotent retry of an earlier one.
"""
import http.client
import json
import os
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "dns_tools"))
import dnsraw  # noqa: E402

LIMIT_S = 5.0


class Api:
    def __init__(self, url, key):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.headers = {"Authorization": "Bearer " + key,
                        "Content-Type": "application/json"}
        self.conn = None

    def call(self, method, path, body=None):
        for _ in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
            try:
                self.conn.request(method, path, None if body is None else json.dumps(body),
                                  self.headers)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, json.loads(data) if data else None
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
        raise RuntimeError("burrow-api unreachable")


def handshake(port, ctx, host):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
            with ctx.wrap_socket(raw, server_hostname=host):
                return True
    except (OSError, ssl.SSLError):
        return False


def answered(port, host):
    d = dnsraw.udp(port, dnsraw.query(host), timeout=1)
    return d is not None and (d[3] & 15) == 0 and int.from_bytes(d[6:8], "big") > 0


def until(check, start):
    """ms from start until check() is true, and whether the first try was."""
    first = True
    while time.monotonic() - start < LIMIT_S:
        if check():
            return (time.monotonic() - start) * 1000, first
        first = False
    return None, False


def ms(values):
    v = [x for x in values if x is not None]
    if not v:
        return "-"
    return "median %.1f max %.1f" % (statistics.median(v), max(v))


def first(api_url, key, dns_port, edge_port, cafile, n, target, run, burrow=None):
    api = Api(api_url, key)
    ctx = ssl.create_default_context(cafile=cafile)
    made, dns, edge, firsts = [], [], [], 0
    for i in range(n):
        t0 = time.monotonic()
        if burrow:
            out = subprocess.run([burrow, "tunnel", "create", "--target", target,
                                  "--workspace", "bench", "--sandbox", "cli-%s-%d" % (run, i), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            host = json.loads(out)["hostname"]
        else:
            status, t = api.call("POST", "/v1/tunnels", {"sandbox": "first-%s-%d" % (run, i),
                                                          "target": target})
            if status != 201:
                raise RuntimeError("create answered %d" % status)
            host = t["hostname"]
        t1 = time.monotonic()
        made.append((t1 - t0) * 1000)
        d, f1 = until(lambda: answered(dns_port, host), t1)
        e, f2 = until(lambda: handshake(edge_port, ctx, host), t1)
        dns.append(d)
        edge.append(e)
        firsts += f1 and f2
    print("%s: create %s ms; after it, DNS answer %s ms, handshake %s ms; "
          "%d/%d served on the first try" % ("cli" if burrow else "api", ms(made), ms(dns),
                                            ms(edge), firsts, n))


def cli(burrow, n, target, run):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    for i in range(n):
        subprocess.run([burrow, "tunnel", "create", "--target", target, "--workspace",
                        "bench", "--sandbox", "cli-rate-%s-%d" % (run, i)], check=True,
                       stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("cli: %d creates in %.2f s: %.0f creates/s, %.3f ms CPU per create" %
          (n, wall, n / wall, cpu * 1000 / n))


def renew(api_url, key, sandboxes, interval, seconds, target, run):
    api = Api(api_url, key)
    for i in range(sandboxes):
        status, _ = api.call("POST", "/v1/tunnels", {"sandbox": "sb-%s-%d" % (run, i), "target": target,
                                                     "lease_seconds": 60})
        if status not in (200, 201):
            raise RuntimeError("create answered %d" % status)
    gap = interval / sandboxes
    lat, failed = [], 0
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < seconds:
        due = t0 + i * gap
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        s = time.monotonic()
        status, _ = api.call("POST", "/v1/sandboxes/sb-%s-%d/lease" % (run, i % sandboxes),
                             {"lease_seconds": 60})
        lat.append((time.monotonic() - s) * 1000)
        failed += status != 200
        i += 1
    wall = time.monotonic() - t0
    lat.sort()
    print("renew: %d renewals of %d sandboxes in %.1f s (%.0f/s, goal %.0f/s), %d failed; "
          "latency p50 %.2f ms p99 %.2f ms" % (i, sandboxes, wall, i / wall,
                                               sandboxes / interval, failed,
                                               lat[len(lat) // 2], lat[int(len(lat) * 0.99)]))


def main():
    a = sys.argv[1:]
    if a and a[0] == "first" and len(a) in (9, 10):
        first(a[1], a[2], int(a[3]), int(a[4]), a[5], int(a[6]), a[7], a[8],
              a[9] if len(a) == 10 else None)
    elif a and a[0] == "cli" and len(a) == 5:
        cli(a[1], int(a[2]), a[3], a[4])
    elif a and a[0] == "renew" and len(a) == 8:
        renew(a[1], a[2], int(a[3]), float(a[4]), float(a[5]), a[6], a[7])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


main()
