#!/usr/bin/env python3
"""Keep-alive polling for test_daemon_ops.sh (A5k).

keepalive_poll.py PORT PATH CLIENTS SECONDS

CLIENTS threads each keep one HTTP/1.1 connection to 127.0.0.1:PORT and send
GET PATH on it, request after request, until the daemon refuses a new
connection (it is gone) or SECONDS pass. A response with "Connection: close"
makes the client reconnect. Prints "polling" at the first answer, then at
the end:

  answered N           responses received
  unanswered N         requests sent on an open connection that got no
                       response (the connection closed or reset under them)
  connection_close N   responses that carried Connection: close
  refused N            connections refused (the daemon had closed its socket)
"""
import http.client
import sys
import threading
import time

port, path, clients, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
lock = threading.Lock()
counts = {"answered": 0, "unanswered": 0, "connection_close": 0, "refused": 0}
problems = []


def count(key, problem=None):
    with lock:
        counts[key] += 1
        if key == "answered" and counts[key] == 1:
            print("polling", flush=True)  # the test waits for this line
        if problem is not None and len(problems) < 3:
            problems.append(problem)


def client():
    deadline = time.monotonic() + seconds
    conn = None
    while time.monotonic() < deadline:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.connect()
            except ConnectionRefusedError:
                count("refused")
                return
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
        except (http.client.HTTPException, OSError) as error:
            # The request was written to an open connection: it reached the
            # daemon (or its socket buffer) and must have been answered.
            count("unanswered", repr(error))
            conn.close()
            conn = None
            continue
        count("answered")
        if response.getheader("Connection", "").lower() == "close":
            count("connection_close")
            conn.close()
            conn = None
    if conn is not None:
        conn.close()


threads = [threading.Thread(target=client) for _ in range(clients)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
for key in ("answered", "unanswered", "connection_close", "refused"):
    print(key, counts[key])
for problem in problems:
    print("problem", problem)
