"""fakehttp.py: what the loopback HTTP fakes of t/py share (fake_aws.py,
fake_s3.py, s3_gate.py).  Python 3 standard library only.

  Server      a ThreadingHTTPServer on 127.0.0.1, a port the kernel picks;
              note(LINE) appends LINE to its log file (if it has one)
  Handler     HTTP/1.1; reads each request's body (Content-Length) into
              self.data, then calls respond(); reply() writes the log line
              (log_line(), if it gives one) BEFORE it sends the reply, so a
              client that has its answer finds the request in the log;
              hang() holds a request unanswered
  blackhole() a listening port whose accept queue is full
  serve()     writes DIR/port atomically (tmp + rename) once listening,
              serves until --lifetime seconds pass or SIGTERM, then closes
  parser()    argparse with --dir and --lifetime (300 s)
"""
import argparse
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler, log=None):
        super().__init__(("127.0.0.1", 0), handler)
        self.lock = threading.Lock()
        self.log = open(log, "a", buffering=1) if log else None

    def note(self, line):
        if self.log:
            with self.lock:
                self.log.write(line + "\n")

    def handle_error(self, request, client_address):
        # clients that give up (timeouts under test) are no error here
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass    # a fake's log file is the record

    @property
    def path_only(self):
        return urllib.parse.urlsplit(self.path).path

    def any_method(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.data = self.rfile.read(n) if n > 0 else b""
        self.respond()

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = any_method

    def respond(self):
        raise NotImplementedError

    def log_line(self, status):
        """The log line for a reply with STATUS, or None for none."""
        return None

    def reply(self, status, body=b"", ctype=None, headers=()):
        line = self.log_line(status)
        if line is not None:
            self.server.note(line)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def hang(self, seconds):
        """Leave the request unanswered for SECONDS, then drop it."""
        time.sleep(seconds)
        self.close_connection = True


def blackhole(port_file):
    """A port (written to PORT_FILE) whose accept queue is kept full, so
    that new SYNs are dropped and connecting times out as to an unreachable
    host.  Returns the sockets to keep open."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    port = s.getsockname()[1]
    keep = [s]
    for _ in range(4):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        keep.append(c)
        time.sleep(0.05)
    write_atomic(port_file, f"{port}\n")
    return keep


def parser(doc, dirname=None):
    """argparse with --dir (required unless DIRNAME is its default) and
    --lifetime."""
    ap = argparse.ArgumentParser(description=doc.strip().split("\n")[0])
    ap.add_argument("--dir", required=dirname is None, default=dirname)
    ap.add_argument("--lifetime", type=float, default=300)
    return ap


def _terminate(signum, frame):
    raise SystemExit(0)


def serve(srv, dirname, lifetime=None, keep=()):
    """Write DIRNAME/port, serve until LIFETIME seconds pass or SIGTERM,
    then close the server and the sockets in KEEP (the log is line-buffered:
    nothing to flush; requests still held are dropped with the process)."""
    signal.signal(signal.SIGTERM, _terminate)
    if lifetime is not None:
        timer = threading.Timer(lifetime, srv.shutdown)
        timer.daemon = True
        timer.start()
    write_atomic(os.path.join(dirname, "port"), f"{srv.server_address[1]}\n")
    try:
        srv.serve_forever(poll_interval=0.2)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.server_close()
        for s in keep:
            s.close()
    return 0
