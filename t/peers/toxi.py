#!/usr/bin/env python3
"""toxi.py: drive a toxiproxy server (t/peers/toxiproxy.sh) from tests.

usage: toxi.py [--url URL] COMMAND ARG...

  create NAME UPSTREAM [--listen HOST:PORT] [--owner DIR]
        a proxy NAME that forwards to UPSTREAM (HOST:PORT or http://HOST:PORT);
        without --listen it listens on 127.0.0.1 at a free port reserved
        for DIR as t/peers/minio.sh reserves its own (give the toxiproxy
        server's peer directory: its stop releases the port, should
        delete never run; default: the current directory); prints the
        listen address, HOST:PORT
  delete NAME           remove the proxy (and release its port)
  list                  NAME LISTEN UPSTREAM enabled|disabled, one a line
  show NAME             the proxy and its toxics, as JSON
  add PROXY TYPE [--name N] [--stream downstream|upstream] [--toxicity P]
        [ATTR=VALUE...]
        add a toxic; prints its name (default TYPE_STREAM).  TYPEs and
        their ATTRs (times in ms, rates in KB/s):
          latency      latency, jitter
          bandwidth    rate
          slow_close   delay
          timeout      timeout (0: hold the data forever)
          reset_peer   timeout (then close with a TCP RST)
          slicer       average_size, size_variation, delay (us)
          limit_data   bytes (then close)
  remove PROXY TOXIC    remove a toxic
  clear PROXY           remove all of PROXY's toxics
  disable PROXY         refuse and cut connections (a server that is down)
  enable PROXY          accept connections again

--url defaults to $TOXIPROXY_URL.  Exits 1 with the server's answer on
stderr when the server says no, 64 on bad usage.  Standard library only.
"""
import argparse
import fcntl
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request

PORT_MIN, PORT_MAX = 19000, 29999
PORTS_DIR = os.environ.get("TEL_TEST_PORTS") or os.path.join(
    os.environ.get("TMPDIR") or "/tmp", "tel-test-ports")


class Refused(Exception):
    pass


class Retried(Refused):
    """The server said no to a request sent again after a lost answer:
    the first one may have done the work."""


def api(url, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(3):
        req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read()
            return json.loads(text) if text.strip() else None
        except urllib.error.HTTPError as e:
            cls = Retried if attempt else Refused
            raise cls(f"{method} {path}: HTTP {e.code}: "
                      f"{e.read().decode(errors='replace').strip()}") from None
        except (urllib.error.URLError, OSError):
            # Seen once: EPIPE on a DELETE that the server had carried out.
            if attempt == 2:
                raise
            time.sleep(0.2)


# ---- ports: the scheme of t/peers/kafka.sh and minio.sh ------------------

def port_in_use(port):
    h = ":%04X" % port
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                next(fh)
                for line in fh:
                    if line.split()[1].endswith(h):
                        return True
        except OSError:
            pass
    return False


def stale(path):
    try:
        with open(path) as f:
            owner = f.read().strip()
        return not (owner and os.path.isdir(owner)) or \
            time.time() - os.stat(path).st_mtime > 86400
    except OSError:
        return True


def alloc_port(owner):
    os.makedirs(PORTS_DIR, exist_ok=True)
    with open(os.path.join(PORTS_DIR, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        span = PORT_MAX - PORT_MIN + 1
        p = PORT_MIN + random.randrange(span)
        for _ in range(span):
            p = p + 1 if p < PORT_MAX else PORT_MIN
            r = os.path.join(PORTS_DIR, str(p))
            if os.path.exists(r):
                if not stale(r):
                    continue
                os.unlink(r)
            if port_in_use(p):
                continue
            with open(r, "w") as f:
                f.write(owner + "\n")
            return p
    raise Refused(f"no free port in {PORT_MIN}-{PORT_MAX}")


def release_port(port):
    try:
        os.unlink(os.path.join(PORTS_DIR, str(port)))
    except OSError:
        pass


# ---- commands -------------------------------------------------------------

def hostport(s):
    return s.split("://", 1)[-1].rstrip("/")


def cmd_create(a):
    upstream = hostport(a.upstream)
    if a.listen:
        p = api(a.url, "POST", "/proxies",
                {"name": a.name, "listen": a.listen, "upstream": upstream, "enabled": True})
        print(p["listen"])
        return
    owner = os.path.realpath(a.owner or os.getcwd())
    for _ in range(5):
        port = alloc_port(owner)
        try:
            p = api(a.url, "POST", "/proxies",
                    {"name": a.name, "listen": f"127.0.0.1:{port}",
                     "upstream": upstream, "enabled": True})
        except Retried:
            p = api(a.url, "GET", f"/proxies/{a.name}")
            if p["listen"] != f"127.0.0.1:{port}" or p["upstream"] != upstream:
                raise
        except Refused as e:
            release_port(port)
            if "address already in use" in str(e):
                continue
            raise
        print(p["listen"])
        return
    raise Refused("no port could be bound in 5 tries")


def cmd_delete(a):
    p = api(a.url, "GET", f"/proxies/{a.name}")
    try:
        api(a.url, "DELETE", f"/proxies/{a.name}")
    except Retried:
        pass  # the first DELETE did it
    release_port(int(p["listen"].rsplit(":", 1)[1]))


def cmd_list(a):
    for name, p in sorted(api(a.url, "GET", "/proxies").items()):
        print(name, p["listen"], p["upstream"], "enabled" if p["enabled"] else "disabled")


def cmd_show(a):
    print(json.dumps(api(a.url, "GET", f"/proxies/{a.name}"), indent=2, sort_keys=True))


def cmd_add(a):
    attrs = {}
    for kv in a.attrs:
        k, sep, v = kv.partition("=")
        if not sep:
            usage(f"add: '{kv}' is no ATTR=VALUE")
        try:
            attrs[k] = int(v)
        except ValueError:
            try:
                attrs[k] = float(v)
            except ValueError:
                attrs[k] = v
    body = {"type": a.type, "stream": a.stream, "toxicity": a.toxicity,
            "attributes": attrs}
    if a.name:
        body["name"] = a.name
    t = api(a.url, "POST", f"/proxies/{a.proxy}/toxics", body)
    print(t["name"])


def cmd_remove(a):
    try:
        api(a.url, "DELETE", f"/proxies/{a.proxy}/toxics/{a.toxic}")
    except Retried:
        pass


def cmd_clear(a):
    for t in api(a.url, "GET", f"/proxies/{a.proxy}/toxics"):
        a.toxic = t["name"]
        cmd_remove(a)


def cmd_enable(a, on=True):
    api(a.url, "PATCH", f"/proxies/{a.proxy}", {"enabled": on})


def cmd_disable(a):
    cmd_enable(a, False)


def usage(msg):
    print(f"toxi.py: {msg}", file=sys.stderr)
    sys.exit(64)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        usage(message)


def main():
    ap = Parser(prog="toxi.py", description=__doc__.split("\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=os.environ.get("TOXIPROXY_URL"))
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    s = sub.add_parser("create")
    s.add_argument("name")
    s.add_argument("upstream")
    s.add_argument("--listen")
    s.add_argument("--owner")
    s.set_defaults(fn=cmd_create)
    for c, fn in (("delete", cmd_delete), ("show", cmd_show)):
        s = sub.add_parser(c)
        s.add_argument("name")
        s.set_defaults(fn=fn)
    sub.add_parser("list").set_defaults(fn=cmd_list)
    s = sub.add_parser("add")
    s.add_argument("proxy")
    s.add_argument("type", choices=["latency", "bandwidth", "slow_close", "timeout",
                                    "reset_peer", "slicer", "limit_data"])
    s.add_argument("--name")
    s.add_argument("--stream", default="downstream", choices=["downstream", "upstream"])
    s.add_argument("--toxicity", type=float, default=1.0)
    s.add_argument("attrs", nargs="*")
    s.set_defaults(fn=cmd_add)
    s = sub.add_parser("remove")
    s.add_argument("proxy")
    s.add_argument("toxic")
    s.set_defaults(fn=cmd_remove)
    for c, fn in (("clear", cmd_clear), ("enable", cmd_enable), ("disable", cmd_disable)):
        s = sub.add_parser(c)
        s.add_argument("proxy")
        s.set_defaults(fn=fn)
    a = ap.parse_args()
    if not a.url:
        usage("no --url and no TOXIPROXY_URL")
    try:
        a.fn(a)
    except Refused as e:
        print(f"toxi.py: {e}", file=sys.stderr)
        sys.exit(1)
    except (urllib.error.URLError, OSError) as e:
        print(f"toxi.py: {a.url}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
