#!/usr/bin/env python3
"""Many connections at once from one address, for test_http.sh.

hold_connections.py PORT N

Opens N TCP connections to 127.0.0.1:PORT and keeps them all open, then
sends GET /healthz on each and reads the status line. Prints

  answered A   connections that got an HTTP status line
  closed C     connections the server closed (or reset) without one
"""
import socket
import sys

port, count = int(sys.argv[1]), int(sys.argv[2])
sockets = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    sockets.append(s)
answered = closed = 0
for s in sockets:
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: casa\r\n\r\n")
        line = s.makefile("rb").readline()
    except OSError:
        line = b""
    if line.startswith(b"HTTP/1.1 "):
        answered += 1
    else:
        closed += 1
for s in sockets:
    s.close()
print("answered", answered)
print("closed", closed)
