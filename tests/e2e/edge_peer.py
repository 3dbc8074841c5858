#!/usr/bin/env python3
"""Real peers for the burrow-edge end-to-end tests (standard library only).

  edge_peer.py serve PORT
      An HTTP/1.1 server on 127.0.0.1:PORT.  GET /headers answers with the
      request line and every header it received, one per line; a request
      with "Upgrade: websocket" gets a real RFC 6455 handshake and then an
      echo of every text frame; anything else gets "ok".
  edge_peer.py ws HOST PORT CAFILE PATH MESSAGE
      A WebSocket client over TLS (SNI HOST, verified against CAFILE) that
      upgrades PATH, sends MESSAGE and prints the echoed text.
"""
import base64
import hashlib
import os
import socket
import ssl
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def read_exact(f, n):
    data = b""
    while len(data) < n:
        chunk = f.read(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def read_frame(f):
    b1, b2 = read_exact(f, 2)
    opcode, masked, n = b1 & 0x0F, b2 & 0x80, b2 & 0x7F
    if n == 126:
        n = struct.unpack("!H", read_exact(f, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", read_exact(f, 8))[0]
    mask = read_exact(f, 4) if masked else None
    data = bytearray(read_exact(f, n))
    if mask:
        for i in range(n):
            data[i] ^= mask[i % 4]
    return opcode, bytes(data)


def frame(opcode, data, mask):
    head = bytes([0x80 | opcode])
    n = len(data)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + data
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(data))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        if self.path.startswith("/headers"):
            body = self.requestline + "\n"
            body += "".join(f"{k}: {v}\n" for k, v in self.headers.items())
        else:
            body = "ok\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def websocket(self):
        key = self.headers["Sec-WebSocket-Key"]
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.send_header("X-Seen-User-Data", self.headers.get("X-Verified-User-Data", ""))
        self.end_headers()
        self.wfile.flush()
        try:
            while True:
                opcode, data = read_frame(self.rfile)
                if opcode == 8:
                    self.wfile.write(frame(8, b"", False))
                    break
                self.wfile.write(frame(opcode, data, False))
                self.wfile.flush()
        except EOFError:
            pass
        self.close_connection = True


def serve(port):
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def ws(host, port, cafile, path, message):
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
    f = s.makefile("rb")
    status = f.readline().decode()
    if " 101 " not in status:
        sys.exit("upgrade refused: " + status.strip())
    want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    headers = {}
    while True:
        line = f.readline().decode().strip()
        if not line:
            break
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("sec-websocket-accept") != want:
        sys.exit("bad Sec-WebSocket-Accept")
    s.sendall(frame(1, message.encode(), True))
    opcode, data = read_frame(f)
    print(data.decode())
    print("user-data " + headers.get("x-seen-user-data", ""))
    s.sendall(frame(8, b"", True))
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "ws":
        ws(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6])
    else:
        sys.exit(__doc__)
