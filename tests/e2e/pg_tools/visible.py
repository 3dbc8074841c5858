#!/usr/bin/env python3
"""How soon a tunnel created by 'burrow tunnel create' is visible at every
burrow-dns and burrow-edge of a deployment (standard library only).  Used by
tests/e2e/pg_multinode.sh, which asserts only that every create became
visible everywhere, and by bench/store.sh, which prints the figures.

  visible.py (--burrow EXE | --api URL) --target HOST:PORT --n N [--ca FILE]
             [--dns ADDR:PORT]... [--edge ADDR:PORT]... [--limit S] [--names FILE]

N times: create a tls tunnel, by 'EXE tunnel create' (store: $BURROW_DB) or
by POST URL/v1/tunnels (key: $BURROW_API_KEY; sandbox "visible", the
target's port counting up from PORT so each create is a new tunnel), then,
from the command's return or the answer, poll every node in turn until each
shows the name (burrow-dns: an A answer; burrow-edge: a TLS handshake for
the name verified against --ca).
Prints, per node and for "all" (the slowest node of each create), p50, p99
and max in ms.  The names created go to --names, one a line.  Exit 1 if a
create failed or a name was not visible everywhere within --limit seconds.
"""
import argparse
import json
import math
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "dns_tools"))
import dnsraw  # noqa: E402


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def dns_sees(node, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.sendto(dnsraw.query(name), node)
        d = s.recv(65535)
    except OSError:
        return False
    finally:
        s.close()
    # NOERROR with at least one answer.
    return len(d) >= 12 and (d[3] & 15) == 0 and (d[6] << 8 | d[7]) > 0


def edge_sees(ctx, node, name):
    try:
        with socket.create_connection(node, timeout=2) as raw:
            with ctx.wrap_socket(raw, server_hostname=name):
                return True
    except (OSError, ssl.SSLError):
        return False


def create_cli(exe, target, _i):
    out = subprocess.run([exe, "tunnel", "create", "--target", target, "--json"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return json.loads(out.stdout)["hostname"]


def create_api(url, target, i):
    host, port = target.rsplit(":", 1)
    body = json.dumps({"sandbox": "visible", "target": "%s:%d" % (host, int(port) + i)})
    req = urllib.request.Request(url + "/v1/tunnels", data=body.encode(), method="POST",
                                 headers={"Authorization": "Bearer " + os.environ["BURROW_API_KEY"],
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 201:
            raise RuntimeError("POST /v1/tunnels: %d" % r.status)
        return json.loads(r.read())["hostname"]


def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--burrow")
    ap.add_argument("--api")
    ap.add_argument("--target", required=True)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--ca")
    ap.add_argument("--dns", action="append", default=[])
    ap.add_argument("--edge", action="append", default=[])
    ap.add_argument("--limit", type=float, default=20.0)
    ap.add_argument("--names")
    a = ap.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca) if a.edge else None
    nodes = [("dns " + d, lambda n, x=addr(d): dns_sees(x, n)) for d in a.dns]
    nodes += [("edge " + e, lambda n, x=addr(e): edge_sees(ctx, x, n)) for e in a.edge]
    seen = {label: [] for label, _ in nodes}
    slowest, names, missed = [], [], 0
    for i in range(a.n):
        try:
            if a.api:
                name = create_api(a.api, a.target, i)
            else:
                name = create_cli(a.burrow, a.target, i)
        except (RuntimeError, OSError, ValueError, KeyError) as e:
            print("create failed: %s" % e)
            return 1
        t0 = time.perf_counter()
        names.append(name)
        pending = list(nodes)
        worst = 0.0
        while pending and time.perf_counter() - t0 < a.limit:
            for node in list(pending):
                if node[1](name):
                    ms = (time.perf_counter() - t0) * 1e3
                    seen[node[0]].append(ms)
                    worst = max(worst, ms)
                    pending.remove(node)
        for label, _ in pending:
            print("%s: %s not visible within %.0f s" % (label, name, a.limit))
            missed += 1
        if not pending:
            slowest.append(worst)
    if a.names:
        with open(a.names, "w") as f:
            f.write("".join(n + "\n" for n in names))
    for label, ms in list(seen.items()) + [("all", slowest)]:
        if ms:
            print("visible at %-22s p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  (%d creates)" %
                  (label + ":", pct(ms, 50), pct(ms, 99), max(ms), len(ms)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
