#!/usr/bin/env python3
"""A backend and a client that see raw bytes, for the connect-token gate
tests (standard library only).

  raw_backend.py serve PORT LOGDIR
      A keep-alive HTTP/1.1 server on 127.0.0.1:PORT that writes every byte
      each connection sends to LOGDIR/conn-N.raw before reading it as
      requests (Content-Length and chunked bodies).  Each request gets
      "200 OK" with the body "seen METHOD TARGET"; Connection: close or
      HTTP/1.0 ends the connection after it.  It is as trusting as a
      careless server: it honours any Upgrade (101, then echoes raw bytes),
      h2c included, so only the edge stands between it and the client.
  raw_backend.py check LOGDIR METADATA
      Reads every conn-*.raw as a request stream, independently of the
      edge's parser: each head must carry exactly one X-Verified-User-Data
      (any case, '_' for '-') equal to METADATA and no connect token.
      Prints "N requests on M connections, all verified" or each violation.
  raw_backend.py send HOST PORT CAFILE FILE NRESP
      Sends FILE's bytes over TLS (SNI HOST, verified) in a single write,
      then prints what comes back until NRESP whole responses have arrived
      or the edge closes.
"""
import glob
import os
import socket
import socketserver
import ssl
import sys
import threading

counter = [0]
lock = threading.Lock()


class Stream:
    """Buffered reader over a byte source; source() returns b"" at EOF."""

    def __init__(self, source):
        self.source = source
        self.buf = b""

    def fill(self):
        data = self.source()
        if not data:
            raise EOFError
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def read_head(s):
    """Start line and [(name, value)] of the next head."""
    start = s.line()
    fields = []
    while True:
        line = s.line()
        if not line:
            return start, fields
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError("field without a colon: %r" % line)
        fields.append((name.decode("latin-1"), value.strip().decode("latin-1")))


def field(fields, name):
    for k, v in fields:
        if k.lower() == name:
            return v
    return None


def read_body(s, fields):
    te = field(fields, "transfer-encoding")
    if te is not None and te.lower().endswith("chunked"):
        body = b""
        while True:
            size = int(s.line().split(b";")[0], 16)
            if size == 0:
                while s.line():
                    pass
                return body
            body += s.take(size)
            s.take(2)
    n = field(fields, "content-length")
    return s.take(int(n)) if n else b""


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        with lock:
            counter[0] += 1
            n = counter[0]
        log = open(os.path.join(self.server.logdir, "conn-%d.raw" % n), "ab")

        def source():
            data = self.request.recv(65536)
            log.write(data)
            log.flush()
            return data

        s = Stream(source)
        try:
            while True:
                start, fields = read_head(s)
                method, target, version = start.decode("latin-1").split(" ")
                upgrade = field(fields, "upgrade")
                if upgrade:
                    self.request.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: "
                                         + upgrade.encode() + b"\r\nConnection: Upgrade\r\n\r\n")
                    if s.buf:
                        self.request.sendall(s.buf)
                    while True:
                        data = s.source()
                        if not data:
                            return
                        self.request.sendall(data)
                read_body(s, fields)
                body = ("seen %s %s\n" % (method, target)).encode()
                close = version == "HTTP/1.0" or (field(fields, "connection") or "").lower() == "close"
                self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                     + b"Content-Length: %d\r\n" % len(body)
                                     + (b"Connection: close\r\n" if close else b"")
                                     + b"\r\n" + body)
                if close:
                    return
        except (EOFError, ValueError, OSError):
            pass
        finally:
            log.close()


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve(port, logdir):
    os.makedirs(logdir, exist_ok=True)
    srv = Server(("127.0.0.1", port), Handler)
    srv.logdir = logdir
    srv.serve_forever()


def check(logdir, metadata):
    bad = 0
    heads = 0
    files = sorted(glob.glob(os.path.join(logdir, "conn-*.raw")))
    for path in files:
        data = open(path, "rb").read()
        pos = [0]

        def source():
            chunk = data[pos[0]:pos[0] + 4096]
            pos[0] += len(chunk)
            return chunk

        s = Stream(source)
        try:
            while True:
                start, fields = read_head(s)
                heads += 1
                ids = [v for k, v in fields if k.lower().replace("_", "-") == "x-verified-user-data"]
                raw = start + b"".join(k.encode() + v.encode() for k, v in fields)
                if ids != [metadata]:
                    print("%s: %r has identity fields %r" % (path, start, ids))
                    bad += 1
                if b"_modal_connect_token" in raw:
                    print("%s: %r still carries a connect token" % (path, start))
                    bad += 1
                if field(fields, "upgrade"):
                    break
                read_body(s, fields)
        except EOFError:
            if s.buf:
                print("%s: %d bytes left that are no whole request" % (path, len(s.buf)))
                bad += 1
        except ValueError as e:
            print("%s: unreadable: %s" % (path, e))
            bad += 1
    if bad:
        sys.exit(1)
    print("%d requests on %d connections, all verified" % (heads, len(files)))


def read_response(s):
    start, fields = read_head(s)
    status = int(start.split(b" ")[1])
    out = start + b"\r\n" + b"".join(k.encode() + b": " + v.encode() + b"\r\n"
                                      for k, v in fields) + b"\r\n"
    if 100 <= status < 200 or status in (204, 304):
        return out, status
    if field(fields, "content-length") is None and field(fields, "transfer-encoding") is None:
        while True:
            try:
                s.fill()
            except EOFError:
                return out + s.buf, status
    return out + read_body(s, fields), status


def send(host, port, cafile, path, nresp):
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    tls = ctx.wrap_socket(raw, server_hostname=host)
    tls.sendall(open(path, "rb").read())

    def source():
        try:
            return tls.recv(65536)
        except (ssl.SSLError, OSError):
            return b""

    s = Stream(source)
    got = 0
    try:
        while got < nresp:
            out, status = read_response(s)
            sys.stdout.write(out.decode("latin-1"))
            if status >= 200:
                got += 1
    except EOFError:
        pass
    sys.stdout.write("\n[%d responses]\n" % got)
    tls.close()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 7 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        sys.exit(__doc__)
