#!/usr/bin/python3
# The metrics tests' reader of sshmedicd's textfile, through the real
# parser of the format (python3-prometheus-client):
#   prom.py check FILE            every family has HELP and TYPE once, a
#                                 known type, the sshmedic_ prefix; counters
#                                 end in _total; no series twice
#   prom.py get FILE NAME [k=v..] the value of one sample ("none": absent)
#   prom.py counters FILE         "name{labels} value" of every counter
#   prom.py ge OLD NEW            no counter of NEW is below OLD's (files
#                                 written by `counters`)
#   prom.py hammer FILE SECONDS STOP  reads and parses FILE as fast as it
#                                 can for SECONDS or until the file STOP
#                                 exists; prints "reads N errors E"
#   prom.py killwrite DIR PGID SECONDS  waits (inotify) for a temporary of
#                                 fs_write_atomic created in DIR, then kills
#                                 process group PGID at once (SIGKILL);
#                                 prints "hit" when the temporary is still
#                                 there after the kill, else "miss"
import os
import re
import sys
import time

from prometheus_client.parser import text_string_to_metric_families


def fail(msg):
    print("prom.py: " + msg, file=sys.stderr)
    sys.exit(1)


def families(text):
    return list(text_string_to_metric_families(text))


def key(name, labels):
    return name + "{" + ",".join(
        '%s="%s"' % (k, labels[k]) for k in sorted(labels)) + "}"


def check(path):
    text = open(path).read()
    if not text.endswith("\n"):
        fail("%s: does not end with a newline (cut?)" % path)
    helps = re.findall(r"^# HELP (\S+) ", text, re.M)
    types = re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M)
    for what, names in (("HELP", helps), ("TYPE", [t[0] for t in types])):
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            fail("%s twice for %s" % (what, sorted(dup)))
    if [t[0] for t in types] != helps:
        fail("HELP and TYPE lines do not pair up")
    seen = set()
    nfam = 0
    for fam in families(text):
        nfam += 1
        if not fam.name.startswith("sshmedic_"):
            fail("family %s lacks the sshmedic_ prefix" % fam.name)
        if fam.type not in ("counter", "gauge"):
            fail("family %s has type %s" % (fam.name, fam.type))
        if not fam.documentation:
            fail("family %s has no HELP" % fam.name)
        for s in fam.samples:
            if fam.type == "counter" and not s.name.endswith("_total"):
                fail("counter sample %s without _total" % s.name)
            if s.value < 0 and fam.type == "counter":
                fail("counter %s below 0" % s.name)
            k = key(s.name, s.labels)
            if k in seen:
                fail("series twice: " + k)
            seen.add(k)
    if nfam == 0:
        fail("no family in " + path)
    print("ok %d families %d series" % (nfam, len(seen)))


def get(path, name, pairs):
    want = dict(p.split("=", 1) for p in pairs)
    for fam in families(open(path).read()):
        for s in fam.samples:
            if s.name == name and s.labels == want:
                v = s.value
                print(int(v) if v == int(v) else v)
                return
    print("none")


def counters(path):
    for fam in families(open(path).read()):
        if fam.type != "counter":
            continue
        for s in fam.samples:
            print("%s %r" % (key(s.name, s.labels), s.value))


def ge(old, new):
    def load(p):
        d = {}
        for line in open(p):
            k, v = line.rsplit(" ", 1)
            d[k] = float(v)
        return d
    a, b = load(old), load(new)
    for k, v in a.items():
        if k not in b:
            fail("counter %s is gone" % k)
        if b[k] < v:
            fail("counter %s went down: %s -> %s" % (k, v, b[k]))
    print("ok %d counters" % len(a))


def hammer(path, secs, stop):
    end = time.monotonic() + float(secs)
    reads = errors = 0
    while time.monotonic() < end and not os.path.exists(stop):
        try:
            text = open(path).read()
        except FileNotFoundError:
            continue
        reads += 1
        try:
            fams = families(text)
            if not text.endswith("\n") or not any(
                    f.name == "sshmedic_build_info" for f in fams):
                raise ValueError("incomplete")
        except Exception as e:
            errors += 1
            print("bad read: %s: %r" % (e, text[-200:]), file=sys.stderr)
    print("reads %d errors %d" % (reads, errors))


def killwrite(d, pgid, secs):
    import ctypes
    import select
    import signal
    import struct
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, d.encode(), 0x100) < 0:
        fail("inotify: errno %d" % ctypes.get_errno())  # IN_CREATE
    end = time.monotonic() + float(secs)
    while True:
        left = end - time.monotonic()
        if left <= 0:
            fail("no temporary created in %s within %s s" % (d, secs))
        if not select.select([fd], [], [], left)[0]:
            continue
        buf = os.read(fd, 65536)
        off = 0
        while off < len(buf):
            _, _, _, n = struct.unpack_from("iIII", buf, off)
            name = buf[off + 16:off + 16 + n].rstrip(b"\0").decode()
            off += 16 + n
            if name.startswith(".sshmedic-tmp."):
                os.killpg(int(pgid), signal.SIGKILL)
                there = os.path.exists(os.path.join(d, name))
                print("hit" if there else "miss")
                return


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "check":
        check(a[1])
    elif len(a) >= 3 and a[0] == "get":
        get(a[1], a[2], a[3:])
    elif len(a) == 2 and a[0] == "counters":
        counters(a[1])
    elif len(a) == 3 and a[0] == "ge":
        ge(a[1], a[2])
    elif len(a) == 4 and a[0] == "killwrite":
        killwrite(a[1], a[2], a[3])
    elif len(a) == 4 and a[0] == "hammer":
        hammer(a[1], a[2], a[3])
    else:
        fail("usage: see the comment at the top")


main()
