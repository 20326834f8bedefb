#!/usr/bin/env python3
"""Independent conformance test for Rivulet's seed wire protocol.

Written from the byte-layout specification alone (no broker source consulted).

Usage: python3 seed_protocol_spec_test.py /path/to/rivulet

Wire format (big-endian):
  string  = u32 length + bytes;  integer = u32
  request = u8 tag, fields..., consumer_id string
    1 Produce:     topic, partition, count, count x value, consumer_id
    2 Consume:     topic, partition, offset, limit, consumer_id
    3 CreateTopic: name, partition count, consumer_id
    4 Quit:        consumer_id
  reply   = records until (and including) one Empty record
    0 Empty | 1 Content: u32 offset, value string | 2 Offset: u32 | 3 Error

Prints one "ok - ..." / "not ok - ..." line per check and finally
"N passed, M failed"; exits 1 if anything failed, else 0.
"""

import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

SOCK_TIMEOUT = 10.0          # every socket operation is bounded by this
READY_TIMEOUT = 20.0         # broker must print its ready line within this
EXIT_TIMEOUT = 10.0          # broker must exit after SIGTERM within this
GLOBAL_TIMEOUT = 115.0       # hard cap for the whole script
SEED = 20240607              # fixed seed for all randomised data
CID = b"spec-client"
READY_RE = re.compile(r"ready: native (\S+):(\d+)")

# ---------------------------------------------------------------------------
# result bookkeeping
# ---------------------------------------------------------------------------

_print_lock = threading.Lock()


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failed_names = []

    def ok(self, cond, desc, detail=""):
        with _print_lock:
            if cond:
                self.passed += 1
                print(f"ok - {desc}", flush=True)
            else:
                self.failed += 1
                self.failed_names.append(desc)
                print(f"not ok - {desc}", flush=True)
                if detail:
                    for line in str(detail).splitlines():
                        print(f"#   {line}", flush=True)
        return bool(cond)

    def note(self, text):
        with _print_lock:
            print(f"# {text}", flush=True)

    def summary_and_exit(self):
        with _print_lock:
            print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.stdout.flush()
        os._exit(1 if self.failed else 0)


R = Results()


def show(b, limit=48):
    b = bytes(b)
    h = b[:limit].hex(" ")
    more = " ..." if len(b) > limit else ""
    return f"[{h}{more}] ({len(b)} bytes)"


def diff_detail(got, want):
    got, want = bytes(got), bytes(want)
    if len(got) <= 48 and len(want) <= 48:
        return f"got  {show(got)}\nwant {show(want)}"
    n = min(len(got), len(want))
    i = n
    for k in range(n):
        if got[k] != want[k]:
            i = k
            break
    lo = max(0, i - 8)
    return (f"lengths: got {len(got)} want {len(want)}; first difference at byte {i}\n"
            f"got  ...{show(got[lo:lo + 32])}\nwant ...{show(want[lo:lo + 32])}")


def eq(got, want, desc):
    return R.ok(bytes(got) == bytes(want), desc, diff_detail(got, want))


# ---------------------------------------------------------------------------
# encoding helpers
# ---------------------------------------------------------------------------

def u32(n):
    return struct.pack(">I", n)


def sstr(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def req_produce(topic, partition, values, cid=CID):
    parts = [b"\x01", sstr(topic), u32(partition), u32(len(values))]
    parts.extend(sstr(v) for v in values)
    parts.append(sstr(cid))
    return b"".join(parts)


def req_consume(topic, partition, offset, limit, cid=CID):
    return b"\x02" + sstr(topic) + u32(partition) + u32(offset) + u32(limit) + sstr(cid)


def req_create(name, partitions, cid=CID):
    return b"\x03" + sstr(name) + u32(partitions) + sstr(cid)


def req_quit(cid=CID):
    return b"\x04" + sstr(cid)


REP_EMPTY = b"\x00"
REP_ERROR = b"\x03\x00"


def rep_offset(n):
    return b"\x02" + u32(n) + b"\x00"


def rep_contents(start, values):
    return b"".join(b"\x01" + u32(start + i) + sstr(v) for i, v in enumerate(values)) + b"\x00"


# ---------------------------------------------------------------------------
# client connection with a structural reply reader
# ---------------------------------------------------------------------------

class ProtocolError(Exception):
    pass


class Reply:
    """records: list of ('content', offset, value) | ('offset', n) | ('error',)"""

    def __init__(self, records, raw):
        self.records = records
        self.raw = raw

    def __repr__(self):
        recs = []
        for r in self.records[:6]:
            if r[0] == "content":
                recs.append(f"Content({r[1]}, {show(r[2], 16)})")
            elif r[0] == "offset":
                recs.append(f"Offset({r[1]})")
            else:
                recs.append("Error")
        if len(self.records) > 6:
            recs.append(f"... {len(self.records)} records")
        return "[" + ", ".join(recs) + ", Empty]"


ADDR = None


class Conn:
    def __init__(self, addr=None, timeout=SOCK_TIMEOUT):
        addr = addr or ADDR
        self.timeout = timeout
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0

    def send(self, data):
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def _fill(self):
        self.sock.settimeout(self.timeout)
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("connection closed by server")
        self.buf += chunk

    def recv_exact(self, n):
        while len(self.buf) - self.pos < n:
            if self.pos:
                del self.buf[:self.pos]
                self.pos = 0
            self._fill()
        out = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return out

    def buffered(self):
        return len(self.buf) - self.pos

    def read_reply(self):
        raw = bytearray()
        recs = []
        while True:
            t = self.recv_exact(1)
            raw += t
            tag = t[0]
            if tag == 0:
                return Reply(recs, bytes(raw))
            if tag == 1:
                h = self.recv_exact(8)
                raw += h
                off, ln = struct.unpack(">II", h)
                if ln > (128 << 20):
                    raise ProtocolError(f"Content value length {ln} is absurd; reply so far {show(raw)}")
                v = self.recv_exact(ln)
                raw += v
                recs.append(("content", off, v))
            elif tag == 2:
                h = self.recv_exact(4)
                raw += h
                recs.append(("offset", struct.unpack(">I", h)[0]))
            elif tag == 3:
                recs.append(("error",))
            else:
                raise ProtocolError(f"unknown reply record tag 0x{tag:02x}; reply so far {show(raw)}")

    def tx(self, req):
        self.send(req)
        return self.read_reply()

    def read_until_close(self, timeout=SOCK_TIMEOUT, cap=1 << 20):
        """Return (bytes received, closed?) — closed means EOF or reset."""
        data = bytes(self.buf[self.pos:])
        self.buf = bytearray()
        self.pos = 0
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return data, False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return data, False
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                return data, True
            if not chunk:
                return data, True
            data += chunk
            if len(data) > cap:
                return data, False

    def nothing_pending(self, wait=0.2):
        """True if no reply bytes arrive within `wait` seconds."""
        if self.buffered():
            return False
        self.sock.settimeout(wait)
        try:
            d = self.sock.recv(1, socket.MSG_PEEK)
            return False if d else True   # b"" would be a close: also "nothing", caught later
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(self.timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def contents_of(reply):
    return [(r[1], r[2]) for r in reply.records if r[0] == "content"]


def collect(conn, topic, partition, start, count, limit=1000):
    """Consume [start, start+count) tolerating replies shorter than limit
    ("up to limit"); returns list of (offset, value) or raises."""
    out = []
    nxt = start
    while len(out) < count:
        want = min(limit, count - len(out))
        r = conn.tx(req_consume(topic, partition, nxt, want))
        if not r.records:
            raise ProtocolError(f"consume at offset {nxt} returned no records, expected more (reply {show(r.raw)})")
        for rec in r.records:
            if rec[0] != "content":
                raise ProtocolError(f"non-Content record in consume reply at offset {nxt}: {r!r}")
            out.append((rec[1], rec[2]))
            nxt += 1
        if len(r.records) > want:
            raise ProtocolError(f"consume returned {len(r.records)} records, more than limit {want}")
    return out


def group(name, fn):
    try:
        fn()
    except Exception as e:  # keep going after an unexpected failure
        R.ok(False, f"{name}: aborted by exception {type(e).__name__}: {e}")


# ---------------------------------------------------------------------------
# broker process management
# ---------------------------------------------------------------------------

PROC = None
LOG = []
LOG_LOCK = threading.Lock()


def _log(line):
    with LOG_LOCK:
        LOG.append(line)
        if len(LOG) > 400:
            del LOG[:200]


def start_broker(path):
    global PROC
    PROC = subprocess.Popen(
        [path, "--headless", "--port", "0", "--listen", "127.0.0.1", "--in-memory"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready = {}
    ready_ev = threading.Event()
    eof_ev = threading.Event()

    def pump_stdout():
        for line in iter(PROC.stdout.readline, b""):
            text = line.decode(errors="replace").rstrip()
            _log("stdout: " + text)
            if not ready_ev.is_set():
                m = READY_RE.search(text)
                if m:
                    ready["addr"] = (m.group(1).strip("[]"), int(m.group(2)))
                    ready_ev.set()
        eof_ev.set()

    def pump_stderr():
        for line in iter(PROC.stderr.readline, b""):
            _log("stderr: " + line.decode(errors="replace").rstrip())

    threading.Thread(target=pump_stdout, daemon=True).start()
    threading.Thread(target=pump_stderr, daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if ready_ev.wait(0.05):
            return ready["addr"]
        if eof_ev.is_set() or PROC.poll() is not None:
            time.sleep(0.1)
            if ready_ev.is_set():
                return ready["addr"]
            raise RuntimeError(f"broker exited/closed stdout before ready line (exit code {PROC.poll()})")
    raise RuntimeError(f"no line matching {READY_RE.pattern!r} within {READY_TIMEOUT} s")


def dump_log(n=40):
    with LOG_LOCK:
        lines = LOG[-n:]
    if lines:
        R.note(f"last {len(lines)} lines of broker output:")
        for line in lines:
            R.note("  " + line)


def kill_broker():
    if PROC is not None and PROC.poll() is None:
        try:
            PROC.kill()
            PROC.wait(5)
        except Exception:
            pass


def watchdog():
    R.ok(False, f"global watchdog: test did not finish within {GLOBAL_TIMEOUT} s")
    kill_broker()
    R.summary_and_exit()


# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------

T1 = "spec.orders-1"
VALS5 = [b"alpha", b"beta", b"gamma", b"delta", b"epsilon"]
VALS3 = [b"zeta", b"eta", b"theta"]
ALL8 = VALS5 + VALS3


def g_create_produce_consume():
    c = Conn()
    # 1. CreateTopic
    eq(c.tx(req_create(T1, 4)).raw, REP_EMPTY, "1a CreateTopic(spec.orders-1, 4) -> exactly 00")
    # 2. Produce
    eq(c.tx(req_produce(T1, 0, VALS5)).raw, rep_offset(4),
       "2a Produce 5 values to partition 0 -> 02 00 00 00 04 00 (Offset 4)")
    eq(c.tx(req_produce(T1, 0, VALS3)).raw, rep_offset(7),
       "2b Produce 3 more values to partition 0 -> Offset 7")
    eq(c.tx(req_produce(T1, 2, [b"p2-first"])).raw, rep_offset(0),
       "2c offsets are per partition: first Produce to partition 2 -> Offset 0")
    eq(c.tx(req_produce(T1, 2, [b"p2-second", b"p2-third"])).raw, rep_offset(2),
       "2d second Produce to partition 2 -> Offset 2 (dense)")
    # 1b. idempotent create keeps data
    eq(c.tx(req_create(T1, 4)).raw, REP_EMPTY,
       "1b CreateTopic on existing topic with same partition count -> exactly 00")
    d = Conn()
    eq(d.tx(req_consume(T1, 0, 0, 100)).raw, rep_contents(0, ALL8),
       "1c data kept after same-count re-create: consume (other connection) offset 0 limit 100 "
       "-> 8 Content records offsets 0..7 exact bytes, then Empty")
    # 1d. create with different count
    eq(c.tx(req_create(T1, 2)).raw, REP_ERROR,
       "1d CreateTopic on existing topic with different partition count (2) -> 03 00")
    eq(c.tx(req_create(T1, 8)).raw, REP_ERROR,
       "1e CreateTopic on existing topic with different partition count (8) -> 03 00")
    # inferred: a rejected create must not have changed the topic
    eq(d.tx(req_consume(T1, 0, 0, 100)).raw, rep_contents(0, ALL8),
       "1f (inferred) after rejected re-creates, partition 0 still holds the same 8 values")
    eq(d.tx(req_consume(T1, 3, 0, 100)).raw, REP_EMPTY,
       "1g (inferred) after rejected re-creates, partition 3 still exists (consume -> just 00)")
    eq(d.tx(req_consume(T1, 2, 0, 100)).raw, rep_contents(0, [b"p2-first", b"p2-second", b"p2-third"]),
       "1h partition 2 holds its own 3 values at offsets 0..2")
    # topic-name rule coverage (valid Kafka names)
    long_name = "spec." + "x" * 244
    assert len(long_name) == 249
    eq(c.tx(req_create(long_name, 1)).raw, REP_EMPTY, "1i CreateTopic with a 249-char valid name -> 00")
    eq(c.tx(req_produce(long_name, 0, [b"v"])).raw, rep_offset(0), "1j Produce to the 249-char topic -> Offset 0")
    eq(c.tx(req_consume(long_name, 0, 0, 10)).raw, rep_contents(0, [b"v"]), "1k Consume from the 249-char topic")
    mixed = "Spec_Topic-09.AZaz_x"
    eq(c.tx(req_create(mixed, 3)).raw, REP_EMPTY, "1l CreateTopic with name using [a-zA-Z0-9._-] -> 00")
    eq(c.tx(req_produce(mixed, 2, [b"m"])).raw, rep_offset(0), "1m Produce to last partition (2 of 3) -> Offset 0")

    # 3. Consume windows
    eq(d.tx(req_consume(T1, 0, 3, 2)).raw, rep_contents(3, ALL8[3:5]),
       "3a Consume offset 3 limit 2 -> Content 3, Content 4, Empty")
    eq(d.tx(req_consume(T1, 0, 7, 100)).raw, rep_contents(7, ALL8[7:]),
       "3b Consume offset 7 limit 100 -> only Content 7")
    eq(d.tx(req_consume(T1, 0, 8, 100)).raw, REP_EMPTY, "3c Consume at end (offset 8) -> just 00")
    eq(d.tx(req_consume(T1, 0, 9, 100)).raw, REP_EMPTY, "3d Consume at offset 9 -> just 00")
    eq(d.tx(req_consume(T1, 0, 1_000_000, 100)).raw, REP_EMPTY, "3e Consume far past end (1000000) -> just 00")
    eq(d.tx(req_consume(T1, 0, 0xFFFFFFFF, 0xFFFFFFFF)).raw, REP_EMPTY,
       "3f Consume offset 0xFFFFFFFF limit 0xFFFFFFFF -> just 00")
    eq(d.tx(req_consume(T1, 0, 0, 0xFFFFFFFF)).raw, rep_contents(0, ALL8),
       "3g Consume offset 0 limit 0xFFFFFFFF -> all 8 records")
    eq(d.tx(req_consume(T1, 0, 0, 0)).raw, REP_EMPTY, "3h Consume limit 0 -> just 00")
    eq(d.tx(req_consume(T1, 1, 0, 100)).raw, REP_EMPTY, "3i Consume empty existing partition 1 -> just 00")
    c.close()
    d.close()


def g_unknown():
    c = Conn()
    eq(c.tx(req_produce("spec.no-such-topic", 0, [b"x"])).raw, REP_ERROR, "4a Produce to unknown topic -> 03 00")
    eq(c.tx(req_consume("spec.no-such-topic", 0, 0, 10)).raw, REP_ERROR, "4b Consume from unknown topic -> 03 00")
    eq(c.tx(req_produce(T1, 4, [b"x"])).raw, REP_ERROR, "4c Produce to partition 4 of 4-partition topic -> 03 00")
    eq(c.tx(req_consume(T1, 4, 0, 10)).raw, REP_ERROR, "4d Consume partition 4 of 4-partition topic -> 03 00")
    eq(c.tx(req_produce(T1, 0xFFFFFFFF, [b"x"])).raw, REP_ERROR, "4e Produce to partition 0xFFFFFFFF -> 03 00")
    eq(c.tx(req_consume(T1, 0xFFFFFFFF, 0, 10)).raw, REP_ERROR, "4f Consume partition 0xFFFFFFFF -> 03 00")
    eq(c.tx(req_consume("spec.orders-", 0, 0, 10)).raw, REP_ERROR, "4g Consume from a prefix of an existing name -> 03 00")
    # inferred: errors are ordinary replies, the connection stays usable
    eq(c.tx(req_consume(T1, 0, 7, 1)).raw, rep_contents(7, [ALL8[7]]),
       "4h (inferred) connection still usable after Error replies")
    eq(c.tx(req_consume("spec.no-such-topic", 0, 0, 10)).raw, REP_ERROR,
       "4i failed Produce did not create the unknown topic")
    eq(c.tx(req_consume(T1, 0, 8, 10)).raw, REP_EMPTY,
       "4j failed Produce to bad partition stored nothing in partition 0")
    c.close()


def g_binary():
    c = Conn()
    vals = [bytes(range(256)), b"", b"\x00", b"\x00\x00\x00\x00", b"\x03\x00", b"\x00\x02\x00\x00\x00\x04\x00",
            bytes(range(255, -1, -1)), b"\xff" * 1000, b""]
    eq(c.tx(req_produce(T1, 1, vals)).raw, rep_offset(len(vals) - 1),
       f"5a Produce {len(vals)} binary values (all 256 bytes, empty, NULs, reply-lookalikes) -> Offset {len(vals) - 1}")
    r = c.tx(req_consume(T1, 1, 0, 100))
    eq(r.raw, rep_contents(0, vals), "5b binary values round-trip exactly (incl. empty values)")
    r = c.tx(req_consume(T1, 1, 1, 1))
    R.ok(contents_of(r) == [(1, b"")], "5c single empty value consumed as Content(1, \"\")", repr(r))
    # a value containing every byte value many times, larger than typical buffers
    big = bytes(range(256)) * 1024 + b"tail"
    eq(c.tx(req_produce(T1, 1, [big])).raw, rep_offset(len(vals)), "5d Produce one 256 KiB binary value")
    eq(c.tx(req_consume(T1, 1, len(vals), 10)).raw, rep_contents(len(vals), [big]),
       "5e 256 KiB binary value round-trips exactly")
    c.close()


def send_slowly(conn, data, delay=0.002):
    for i in range(len(data)):
        conn.send(data[i:i + 1])
        time.sleep(delay)


def g_framing():
    topic = "spec.framing"
    c = Conn()
    req = req_create(topic, 2, b"slow-client")
    send_slowly(c, req[:-1])
    R.ok(c.nothing_pending(), "6a no reply before a byte-at-a-time CreateTopic is complete")
    send_slowly(c, req[-1:])
    eq(c.read_reply().raw, REP_EMPTY, "6b CreateTopic sent one byte at a time -> 00")
    vals = [b"one", b"\x00two\x00", b"three" * 7]
    req = req_produce(topic, 0, vals, b"slow-client")
    send_slowly(c, req[:-1])
    R.ok(c.nothing_pending(), "6c no reply before a byte-at-a-time Produce is complete")
    send_slowly(c, req[-1:])
    eq(c.read_reply().raw, rep_offset(2), "6d Produce sent one byte at a time -> Offset 2")
    req = req_consume(topic, 0, 0, 10, b"slow-client")
    send_slowly(c, req)
    eq(c.read_reply().raw, rep_contents(0, vals), "6e Consume sent one byte at a time -> 3 exact records")

    # three requests in one send
    t2 = "spec.framing-3in1"
    v3 = [b"a", b"bb", b"ccc"]
    c.send(req_create(t2, 1) + req_produce(t2, 0, v3) + req_consume(t2, 0, 0, 10))
    r1, r2, r3 = c.read_reply(), c.read_reply(), c.read_reply()
    eq(r1.raw + r2.raw + r3.raw, REP_EMPTY + rep_offset(2) + rep_contents(0, v3),
       "6f Create+Produce+Consume concatenated in one send -> 3 replies in order")
    # error reply in the middle of a pipeline keeps order
    c.send(req_consume(t2, 0, 2, 1) + req_consume("spec.nope", 0, 0, 1) + req_produce(t2, 0, [b"dddd"]))
    got = c.read_reply().raw + c.read_reply().raw + c.read_reply().raw
    eq(got, rep_contents(2, [b"ccc"]) + REP_ERROR + rep_offset(3),
       "6g pipelined Consume, Consume(unknown), Produce -> Content, Error, Offset in order")

    # many pipelined requests, split at random points
    rng = random.Random(SEED + 6)
    reqs, want = [], []
    stored = [b"a", b"bb", b"ccc", b"dddd"]
    for k in range(150):
        if k % 3 == 2:
            off = rng.randrange(len(stored) + 2)
            lim = rng.randint(0, 6)
            reqs.append(req_consume(t2, 0, off, lim, b"pipe-%d" % k))
            want.append(rep_contents(off, stored[off:off + lim]) if off < len(stored) else REP_EMPTY)
        elif k % 17 == 5:
            reqs.append(req_produce(t2, 1, [b"x"]))   # partition 1 does not exist
            want.append(REP_ERROR)
        else:
            batch = [rng.randbytes(rng.randint(0, 300)) for _ in range(rng.randint(1, 5))]
            stored.extend(batch)
            reqs.append(req_produce(t2, 0, batch, b"pipe-%d" % k))
            want.append(rep_offset(len(stored) - 1))
    stream = b"".join(reqs)
    err = []

    def sender():
        try:
            i = 0
            while i < len(stream):
                n = rng.randint(1, 97)
                c.send(stream[i:i + n])
                i += n
                if rng.random() < 0.1:
                    time.sleep(0.001)
        except Exception as e:
            err.append(e)

    th = threading.Thread(target=sender, daemon=True)
    th.start()
    got = [c.read_reply().raw for _ in reqs]
    th.join(SOCK_TIMEOUT)
    bad = [i for i in range(len(reqs)) if got[i] != want[i]]
    R.ok(not bad and not err,
         f"6h {len(reqs)} pipelined requests ({len(stream)} bytes) split at random points -> all replies exact, in order",
         (f"first mismatch at request {bad[0]}: " + diff_detail(got[bad[0]], want[bad[0]])) if bad else f"sender error {err}")
    c.close()


def g_bulk():
    topic = "spec.bulk"
    c = Conn(timeout=30.0)
    eq(c.tx(req_create(topic, 2)).raw, REP_EMPTY, "7a CreateTopic(spec.bulk, 2) -> 00")
    base = bytes(range(256)) * 2
    N = 100_000

    def value(i):
        return b"%08d" % i + base[i % 256: i % 256 + 92]

    values = [value(i) for i in range(N)]
    req = req_produce(topic, 1, values, b"bulk-client")
    R.note(f"bulk Produce request is {len(req)} bytes")
    t0 = time.monotonic()
    eq(c.tx(req).raw, rep_offset(N - 1),
       "7b 10 MB Produce of 100,000 x 100-byte values to a fresh partition -> Offset 99999")
    R.note(f"bulk produce round trip took {time.monotonic() - t0:.2f} s")
    for start in (54321, 0, N - 1000):
        got = collect(c, topic, 1, start, 1000, limit=1000)
        bad = [k for k, (off, v) in enumerate(got) if off != start + k or v != values[start + k]]
        R.ok(not bad, f"7c consume back offsets {start}..{start + 999} (limit 1000) -> exact bytes",
             f"first bad record index {bad[0]}: got offset {got[bad[0]][0]} value {show(got[bad[0]][1])}" if bad else "")
    eq(c.tx(req_consume(topic, 1, N - 1, 10)).raw, rep_contents(N - 1, [values[N - 1]]),
       "7d consume offset 99999 limit 10 -> only the last record")
    eq(c.tx(req_consume(topic, 1, N, 10)).raw, REP_EMPTY, "7e consume offset 100000 -> just 00")
    eq(c.tx(req_consume(topic, 0, 0, 10)).raw, REP_EMPTY, "7f bulk produce did not touch partition 0")
    c.close()


def g_quit():
    topic = "spec.quit"
    c = Conn()
    eq(c.tx(req_create(topic, 1)).raw, REP_EMPTY, "8a CreateTopic(spec.quit, 1) -> 00")
    c.send(req_quit(b"quitter"))
    data, closed = c.read_until_close(SOCK_TIMEOUT)
    R.ok(closed and data in (b"", b"\x00"), "8b Quit -> server closes the connection",
         f"received {show(data)} before {'close' if closed else 'timeout: connection NOT closed'}")
    c.close()
    d = Conn()
    d.send(req_produce(topic, 0, [b"last words"]) + req_quit())
    r = d.read_reply()
    eq(r.raw, rep_offset(0), "8c Produce pipelined with Quit -> Produce reply (Offset 0) comes first")
    data, closed = d.read_until_close(SOCK_TIMEOUT)
    R.ok(closed and data in (b"", b"\x00"), "8d ... then the server closes the connection",
         f"received {show(data)} before {'close' if closed else 'timeout: connection NOT closed'}")
    d.close()
    e = Conn()
    eq(e.tx(req_consume(topic, 0, 0, 10)).raw, rep_contents(0, [b"last words"]),
       "8e value produced just before Quit is stored")
    e.close()


def expect_error_then_close(c, desc):
    data, closed = c.read_until_close(5.0)   # shorter than SOCK_TIMEOUT to bound total runtime
    return R.ok(data == REP_ERROR and closed, desc,
                f"received {show(data)}; {'connection closed' if closed else 'connection NOT closed within timeout'}")


def g_bad_input():
    # Tags >= 5 are where the spec lets Rivulet add actions (5, 6 and 8 are taken, see
    # docs/PROTOCOL.md); these are unassigned.
    for tag in (0x63, 0x00, 0x2A, 0xFF):
        c = Conn()
        c.send(bytes([tag]))
        expect_error_then_close(c, f"9a unknown request tag 0x{tag:02x} -> exactly 03 00, then connection closed")
        c.close()
    topic = "spec.oversize"
    c = Conn()
    eq(c.tx(req_create(topic, 1)).raw, REP_EMPTY, "9b CreateTopic(spec.oversize, 1) -> 00")
    c.send(req_produce(topic, 0, [b"ok"]) + b"\x63")
    eq(c.read_reply().raw, rep_offset(0), "9c Produce followed by tag 0x63 in one send -> Offset 0 first")
    expect_error_then_close(c, "9d ... then 03 00 and the connection is closed")
    c.close()

    c = Conn()
    c.send(b"\x01" + sstr(topic) + u32(0) + u32(1) + u32(0x7FFFFFFF))
    expect_error_then_close(c, "9e Produce whose value declares length 0x7FFFFFFF -> 03 00, then close")
    c.close()
    c = Conn()
    c.send(b"\x01" + sstr(topic) + u32(0) + u32(1) + u32(0xFFFFFFFF) + b"partial")
    expect_error_then_close(c, "9f Produce whose value declares length 0xFFFFFFFF -> 03 00, then close")
    c.close()
    c = Conn()
    c.send(b"\x03" + u32(0xFFFFFFFF))
    expect_error_then_close(c, "9g CreateTopic whose name declares length 0xFFFFFFFF -> 03 00, then close")
    c.close()
    c = Conn()
    c.send(b"\x02" + u32(0x7FFFFFFF) + b"spec")
    expect_error_then_close(c, "9h Consume whose topic declares length 0x7FFFFFFF -> 03 00, then close")
    c.close()
    c = Conn()
    c.send(b"\x04" + u32(0x7FFFFFFF))
    expect_error_then_close(c, "9i Quit whose consumer_id declares length 0x7FFFFFFF -> 03 00, then close")
    c.close()
    c = Conn()
    c.send(req_produce(topic, 0, [b"v"], cid=b"")[:-4] + u32(0x7FFFFFFF))
    expect_error_then_close(c, "9j Produce whose consumer_id declares length 0x7FFFFFFF -> 03 00, then close")
    c.close()

    # A request that only exceeds 64 MiB by accumulation: count 0xFFFFFFFF, then
    # a stream of small values.  The broker must answer Error and close before
    # we have sent 80 MiB.
    c = Conn()
    sent = [0]
    stop = threading.Event()
    chunk = b"".join(sstr(b"%099d" % i) for i in range(10_000))  # ~1.04 MB

    def streamer():
        try:
            c.send(b"\x01" + sstr(topic) + u32(0) + u32(0xFFFFFFFF))
            while sent[0] < (80 << 20) and not stop.is_set():
                c.sock.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass

    th = threading.Thread(target=streamer, daemon=True)
    th.start()
    data, closed = c.read_until_close(15.0)
    stop.set()
    th.join(SOCK_TIMEOUT)
    R.ok(data == REP_ERROR and closed,
         "9k Produce that grows past 64 MiB (count 0xFFFFFFFF + streamed values) -> 03 00, then close",
         f"received {show(data)}; {'closed' if closed else 'NOT closed'}; client had sent ~{sent[0] >> 20} MiB")
    R.note(f"oversize stream: client had sent ~{sent[0] >> 20} MiB when the broker reacted")
    c.close()

    d = Conn()
    eq(d.tx(req_consume(topic, 0, 0, 100)).raw, rep_contents(0, [b"ok"]),
       "9l (inferred) rejected oversize requests stored nothing; the earlier value is intact")
    eq(d.tx(req_consume(T1, 0, 0, 100)).raw, rep_contents(0, ALL8),
       "9m broker still serves other data correctly after bad input")
    d.close()


def g_concurrency():
    topic = "spec.concurrent"
    P, N, B = 10, 2000, 30
    c = Conn()
    eq(c.tx(req_create(topic, P)).raw, REP_EMPTY, "10a CreateTopic(spec.concurrent, 10) -> 00")
    rng = random.Random(SEED + 10)
    expected = [[b"p%02d-%05d-" % (p, k) + rng.randbytes(rng.randint(0, 40)) for k in range(N)] for p in range(P)]
    errors = []
    lock = threading.Lock()
    deadline = time.monotonic() + 40.0

    def fail(msg):
        with lock:
            errors.append(msg)

    def producer(p):
        try:
            cc = Conn()
            for start in range(0, N, B):
                batch = expected[p][start:start + B]
                r = cc.tx(req_produce(topic, p, batch, b"producer-%d" % p))
                want = rep_offset(start + len(batch) - 1)
                if r.raw != want:
                    fail(f"producer {p} batch at {start}: {diff_detail(r.raw, want)}")
                    return
            cc.close()
        except Exception as e:
            fail(f"producer {p}: {type(e).__name__}: {e}")

    def consumer(p):
        try:
            cc = Conn()
            nxt = 0
            while nxt < N:
                if time.monotonic() > deadline:
                    fail(f"consumer {p}: timed out at offset {nxt}")
                    return
                r = cc.tx(req_consume(topic, p, nxt, B, b"consumer-%d" % p))
                if len(r.records) > B:
                    fail(f"consumer {p}: {len(r.records)} records > limit {B}")
                    return
                for rec in r.records:
                    if rec[0] != "content" or rec[1] != nxt or rec[2] != expected[p][nxt]:
                        fail(f"consumer {p}: at offset {nxt} got {rec[0]} {rec[1:2]} "
                             f"{show(rec[2], 24) if rec[0] == 'content' else ''}; want {show(expected[p][nxt], 24)}")
                        return
                    nxt += 1
                if not r.records:
                    time.sleep(0.002)
            cc.close()
        except Exception as e:
            fail(f"consumer {p}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=producer, args=(p,), daemon=True) for p in range(P)]
    threads += [threading.Thread(target=consumer, args=(p,), daemon=True) for p in range(P)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, deadline + 5 - time.monotonic()))
    alive = sum(t.is_alive() for t in threads)
    R.note(f"concurrency phase took {time.monotonic() - t0:.2f} s")
    R.ok(not errors and not alive,
         "10b 10 producers (batches of 30) + 10 consumers (limit 30), 2000 values per partition: "
         "every Produce reply exact, consumers see dense offsets and exact bytes in order",
         "\n".join(errors[:10]) + (f"\n{alive} threads still running" if alive else ""))
    bad = []
    for p in range(P):
        try:
            got = collect(c, topic, p, 0, N, limit=N)
            if [v for _, v in got] != expected[p] or [o for o, _ in got] != list(range(N)):
                bad.append(f"partition {p}: contents differ")
            r = c.tx(req_consume(topic, p, N, 10))
            if r.raw != REP_EMPTY:
                bad.append(f"partition {p}: consume at {N} -> {show(r.raw)} (extra data)")
        except Exception as e:
            bad.append(f"partition {p}: {type(e).__name__}: {e}")
    R.ok(not bad, "10c afterwards each partition holds exactly its 2000 values at offsets 0..1999",
         "\n".join(bad[:10]))
    c.close()


def hostile_payload(rng, i, topic):
    n = rng.randint(1, 4096)
    kind = i % 5
    if kind == 0:
        p = rng.randbytes(n)
    elif kind == 1:   # plausible Produce header followed by junk
        p = b"\x01" + sstr(topic) + u32(rng.randrange(3)) + u32(rng.randint(1, 50)) + rng.randbytes(n)
    elif kind == 2:   # plausible Consume prefix followed by junk
        p = b"\x02" + sstr(topic) + rng.randbytes(n)
    elif kind == 3:   # a valid request truncated at a random point
        full = req_produce(topic, rng.randrange(2),
                           [rng.randbytes(rng.randint(0, 200)) for _ in range(rng.randint(1, 20))])
        p = full[:rng.randint(1, len(full) - 1)]
    else:             # a valid request followed by junk
        p = req_consume(topic, 0, 0, 10) + rng.randbytes(n)
    return p[:4096]


def g_hostile():
    topic = "spec.hostile"
    by_topic = "spec.bystander"
    setup = Conn()
    eq(setup.tx(req_create(topic, 2)).raw, REP_EMPTY, "11a CreateTopic(spec.hostile, 2) -> 00")
    eq(setup.tx(req_create(by_topic, 1)).raw, REP_EMPTY, "11b CreateTopic(spec.bystander, 1) -> 00")
    pre = Conn()       # opened before the hostile phase, idle during it
    eq(pre.tx(req_produce(by_topic, 0, [b"before"])).raw, rep_offset(0),
       "11c pre-opened connection: Produce before hostile phase -> Offset 0")

    R.note(f"hostile phase random seed: {SEED}")
    rng = random.Random(SEED)
    plans = []
    for i in range(300):
        plans.append((hostile_payload(rng, i, topic), rng.randrange(3)))

    connect_errors = []
    lock = threading.Lock()

    def hostile(payload, mode):
        try:
            s = socket.create_connection(ADDR, timeout=5.0)
        except OSError as e:
            with lock:
                connect_errors.append(f"{type(e).__name__}: {e}")
            return
        try:
            s.settimeout(5.0)
            if mode == 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                s.sendall(payload)
            except OSError:
                pass
            if mode == 1:
                try:
                    s.shutdown(socket.SHUT_WR)
                    s.settimeout(0.3)
                    while s.recv(65536):
                        pass
                except OSError:
                    pass
        finally:
            s.close()

    # a bystander keeps working on its own connection during the attack
    by_errors = []
    by_rounds = [0]
    stop = threading.Event()

    def bystander():
        try:
            b = Conn()
            k = 1
            while not stop.is_set():
                v = b"bystander-%06d" % k
                r = b.tx(req_produce(by_topic, 0, [v], b"bystander"))
                if r.raw != rep_offset(k):
                    by_errors.append(f"round {k} produce: {diff_detail(r.raw, rep_offset(k))}")
                    return
                r = b.tx(req_consume(by_topic, 0, k, 1, b"bystander"))
                if r.raw != rep_contents(k, [v]):
                    by_errors.append(f"round {k} consume: {diff_detail(r.raw, rep_contents(k, [v]))}")
                    return
                k += 1
                by_rounds[0] = k - 1
                time.sleep(0.005)
            b.close()
        except Exception as e:
            by_errors.append(f"{type(e).__name__}: {e}")

    bt = threading.Thread(target=bystander, daemon=True)
    bt.start()
    t0 = time.monotonic()
    for w in range(0, len(plans), 20):
        wave = [threading.Thread(target=hostile, args=plan, daemon=True) for plan in plans[w:w + 20]]
        for t in wave:
            t.start()
        for t in wave:
            t.join(15.0)
    stop.set()
    bt.join(SOCK_TIMEOUT + 2)
    R.note(f"hostile phase: 300 connections in {time.monotonic() - t0:.2f} s; bystander completed {by_rounds[0]} rounds")
    R.ok(not connect_errors, "11d all 300 hostile connections were accepted (broker kept listening)",
         f"{len(connect_errors)} connect errors, e.g. {connect_errors[:3]}")
    R.ok(PROC.poll() is None, "11e broker process still running after hostile phase",
         f"exit code {PROC.poll()}")
    R.ok(not by_errors and by_rounds[0] > 0,
         "11f a concurrent well-behaved connection was undisturbed during the hostile phase",
         "; ".join(by_errors[:3]) or "bystander made no progress")

    # pre-opened connection still works
    nxt = by_rounds[0] + 1
    eq(pre.tx(req_produce(by_topic, 0, [b"after"])).raw, rep_offset(nxt),
       f"11g connection opened before the hostile phase: Produce after it -> Offset {nxt}")
    eq(pre.tx(req_consume(by_topic, 0, 0, 1)).raw, rep_contents(0, [b"before"]),
       "11h pre-opened connection: Consume offset 0 -> value written before hostile phase")
    eq(pre.tx(req_consume(by_topic, 0, nxt, 5)).raw, rep_contents(nxt, [b"after"]),
       "11i pre-opened connection: Consume of the value just written")
    pre.close()

    # a brand-new client works end to end
    n = Conn()
    t_after = "spec.after-hostile"
    eq(n.tx(req_create(t_after, 3)).raw, REP_EMPTY, "11j new client after hostile phase: CreateTopic -> 00")
    vals = [b"x1", b"", bytes(range(256))]
    eq(n.tx(req_produce(t_after, 2, vals)).raw, rep_offset(2), "11k new client: Produce 3 values -> Offset 2")
    eq(n.tx(req_consume(t_after, 2, 0, 10)).raw, rep_contents(0, vals), "11l new client: Consume -> exact values")
    eq(n.tx(req_consume(T1, 0, 0, 100)).raw, rep_contents(0, ALL8),
       "11m data written before the hostile phase is intact")
    n.close()
    setup.close()


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def main():
    global ADDR
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} /path/to/rivulet", file=sys.stderr)
        sys.exit(2)
    path = sys.argv[1]
    wd = threading.Timer(GLOBAL_TIMEOUT, watchdog)
    wd.daemon = True
    wd.start()

    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        R.ok(False, f"broker binary {path} exists and is executable")
        R.summary_and_exit()
    try:
        ADDR = start_broker(path)
        R.ok(True, f"0 broker started and printed ready line (native {ADDR[0]}:{ADDR[1]})")
    except Exception as e:
        R.ok(False, f"0 broker starts and prints 'ready: native HOST:PORT' within {READY_TIMEOUT:.0f} s", str(e))
        dump_log()
        kill_broker()
        R.summary_and_exit()

    try:
        group("1-3 create/produce/consume", g_create_produce_consume)
        group("4 unknown topic/partition", g_unknown)
        group("5 binary values", g_binary)
        group("6 framing", g_framing)
        group("7 bulk", g_bulk)
        group("8 quit", g_quit)
        group("9 bad input", g_bad_input)
        group("10 concurrency", g_concurrency)
        group("11 hostile", g_hostile)

        # 12. SIGTERM with an idle client still connected
        idle = None
        try:
            idle = Conn()
        except OSError:
            pass
        alive = PROC.poll() is None
        R.ok(alive, "12a broker still running before SIGTERM", f"exit code {PROC.poll()}")
        if alive:
            PROC.send_signal(signal.SIGTERM)
            try:
                rc = PROC.wait(EXIT_TIMEOUT)
                R.ok(rc == 0, "12b SIGTERM -> broker exits with code 0 (one idle client connected)",
                     f"exit code {rc}")
            except subprocess.TimeoutExpired:
                R.ok(False, "12b SIGTERM -> broker exits with code 0 (one idle client connected)",
                     f"did not exit within {EXIT_TIMEOUT:.0f} s")
        if idle:
            idle.close()
    finally:
        kill_broker()
    if R.failed:
        dump_log()
    R.summary_and_exit()


if __name__ == "__main__":
    main()
