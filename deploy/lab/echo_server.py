#!/usr/bin/env python3
"""Tiny HTTP server for the Hairpin lab: answers every GET with the address
of the peer it saw, as plain text ("192.168.1.10\n").

This is how lab checks learn which source address reached the far side
(plain routing, outbound NAT, 1:1 NAT, hairpin/NAT reflection).
Each request is also logged to stderr ("<peer>:<port> GET <path> ...").

    echo_server.py --bind 203.0.113.253 --port 8080
    echo_server.py --bind 192.168.1.20 --port 8080 --directory DIR   # static files

With --directory it is Python's http.server file handler instead (what
`python3 -m http.server` serves). Unlike `python3 -m http.server`, neither mode
does a reverse DNS lookup of its own address at start: inside a lab namespace
the machine's resolver is unreachable and that lookup stalls for ~6 s.
"""
import argparse
import functools
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer


class LabServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # HTTPServer.server_bind would call socket.getfqdn(): no DNS in the lab.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port


class FileHandler(SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s:%d %s\n" % (self.client_address[0], self.client_address[1], fmt % args))
        sys.stderr.flush()


class EchoPeerHandler(BaseHTTPRequestHandler):
    server_version = "hairpin-lab-echo/1"

    def _answer(self, with_body):
        body = (self.client_address[0] + "\n").encode("ascii")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=us-ascii")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server naming)
        self._answer(True)

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s:%d %s\n" % (self.client_address[0], self.client_address[1], fmt % args))
        sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", required=True, help="address to listen on")
    ap.add_argument("--port", type=int, required=True, help="TCP port")
    ap.add_argument("--directory", help="serve the files of this directory instead of echoing the peer")
    a = ap.parse_args()
    if a.directory:
        handler = functools.partial(FileHandler, directory=a.directory)
        what = "files of " + a.directory
    else:
        handler = EchoPeerHandler
        what = "peer address echo"
    srv = LabServer((a.bind, a.port), handler)
    sys.stderr.write("echo_server listening on %s:%d (%s)\n" % (a.bind, a.port, what))
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
