#!/usr/bin/env python3
"""Hostile record batches against a rivulet broker (issue 14 section 4, the data side).

Starts RIVULET on a fresh data directory and, over loopback:
  0. produces 200 ordinary gzip batches (1,000 records, ~1 MiB uncompressed each), for the
     cost of checking compressed records at produce;
  1. produces a gzip "bomb" (a ~250 KB batch whose one record inflates to 255 MiB, its gzip
     trailer forged to say 0 bytes so that only inflating finds out) with
     Kafka Produce v3, 20 times, pipelined on one connection, while a second connection
     times ApiVersions round trips: the error code, the time per refused (or stored) batch,
     the broker's peak and final RSS, and the worst round trip of the other client;
  2. --victim: on a broker with one worker, one client sends the bomb in a loop (a Kafka
     Produce at a time) while another times small Kafka Produce and Fetch round trips on
     the same worker: median and worst, and the same client alone for comparison;
  3. --victim-native: the same with the native protocol: one client Consumes, in a loop, a
     stored gzip batch whose one record inflates to 30 MiB (accepted: under the default
     --max-message-bytes), while another times small native Produce and Consume round trips
     on the same worker;
  4. with --stored DIR: starts RIVULET on DIR (a data directory where an older broker stored
     such a batch in topic "bomb") and times native Consumes of it with RIVULET_CLI, with
     the broker's RSS.

usage: hostile_batches.py RIVULET RIVULET_CLI [--keep DIR] [--stored DIR] [--workers N]
                          [--victim | --victim-native] [--rounds N]
  --keep DIR    use DIR as the data directory of step 1 and keep it (for --stored later)
  --workers N   passed to the broker (1: the other client shares the hostile one's worker)
  --victim      only step 2 (always with --workers 1); --rounds N victim round trips (300)
  --victim-native  only step 3 (always with --workers 1)
Prints one line per figure; figures go to docs/PERFORMANCE.md.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

BOMB_BYTES = 255 << 20


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(v):
    v = (v << 1) ^ (v >> 63)  # zig-zag
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def gzip_batch(values):
    """A magic-2 batch, gzip, one record per value (offset deltas 0, 1, 2...)."""
    records = bytearray()
    for i, value in enumerate(values):
        body = b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(value)) + value + varint(0)
        records += varint(len(body)) + body
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    packed = z.compress(bytes(records)) + z.flush()
    now = int(time.time() * 1000)
    n = len(values)
    covered = struct.pack(">hiqqqhii", 1, n - 1, now, now, -1, -1, -1, n) + packed
    return struct.pack(">qiibI", 0, 4 + 1 + 4 + len(covered), -1, 2, crc32c(covered)) + covered


def plain_batch(values):
    """A magic-2 batch, uncompressed, one record per value."""
    records = bytearray()
    for i, value in enumerate(values):
        body = b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(value)) + value + varint(0)
        records += varint(len(body)) + body
    now = int(time.time() * 1000)
    n = len(values)
    covered = struct.pack(">hiqqqhii", 0, n - 1, now, now, -1, -1, -1, n) + bytes(records)
    return struct.pack(">qiibI", 0, 4 + 1 + 4 + len(covered), -1, 2, crc32c(covered)) + covered


def gzip_bomb(value_bytes):
    """A magic-2 batch, gzip, one record whose value is value_bytes zeros."""
    head = b"\x00" + varint(0) + varint(0) + varint(-1) + varint(value_bytes)
    tail = varint(0)
    body_len = len(head) + value_bytes + len(tail)
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    packed = bytearray(z.compress(varint(body_len) + head))
    chunk = bytes(1 << 20)
    left = value_bytes
    while left:
        n = min(left, len(chunk))
        packed += z.compress(chunk[:n])
        left -= n
    packed += z.compress(tail) + z.flush()
    # the trailer's size forged to 0: a broker cannot refuse it by the trailer alone and has
    # to inflate up to its bound (the worst case)
    packed[-4:] = b"\0\0\0\0"
    now = int(time.time() * 1000)
    covered = struct.pack(">hiqqqhii", 1, 0, now, now, -1, -1, -1, 1) + bytes(packed)
    return struct.pack(">qiibI", 0, 4 + 1 + 4 + len(covered), -1, 2, crc32c(covered)) + covered


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def produce_frame(corr, topic, records):
    body = struct.pack(">hhi", -1, -1, 30000) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">ii", 0, len(records)) + records
    header = struct.pack(">hhi", 0, 3, corr) + kstr("hostile")
    return struct.pack(">i", len(header) + len(body)) + header + body


def fetch_frame(corr, topic, offset):
    """FetchRequest v4: no wait, up to 1 MiB from one partition."""
    body = struct.pack(">iiiib", -1, 0, 1, 1 << 20, 0) + struct.pack(">i", 1) + kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", 0, offset, 1 << 20)
    header = struct.pack(">hhi", 1, 4, corr) + kstr("victim")
    return struct.pack(">i", len(header) + len(body)) + header + body


def api_versions_frame(corr):
    header = struct.pack(">hhi", 18, 0, corr) + kstr("victim")
    return struct.pack(">i", len(header)) + header


def read_frame(sock):
    def exact(n):
        data = bytearray()
        while len(data) < n:
            got = sock.recv(n - len(data))
            if not got:
                raise EOFError("connection closed")
            data += got
        return bytes(data)

    (size,) = struct.unpack(">i", exact(4))
    return exact(size)


def produce_error(response):
    # correlation id, [topic: name, [partition: index, error, ...]]
    at = 4 + 4
    (name_len,) = struct.unpack_from(">h", response, at)
    at += 2 + name_len + 4
    _, error = struct.unpack_from(">ih", response, at)
    return error


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


EXTRA_ARGS = []


def start(binary, data_dir):
    proc = subprocess.Popen(
        [binary, "--headless", "--port", "0", "--kafka-port", "0", "--data-dir", data_dir]
        + EXTRA_ARGS,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"native \S+:(\d+) kafka \S+:(\d+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"no ready line: {line!r} {proc.stderr.read()}")
    return proc, int(m.group(1)), int(m.group(2))


def stop(proc):
    proc.terminate()
    proc.wait(60)


def ordinary_produce(binary, data_dir):
    """What the produce-time check costs an honest producer: 200 gzip batches of 1,000
    JSON-like records (~1 MiB uncompressed each), 10 in flight."""
    values = [(b'{"id": %d, "user": "user-%d", "action": "view", "page": "/products/%d", '
               b'"ms": %d, "pad": "%s"}' % (i, i % 97, i % 1013, i * 7, b"x" * (900 + i % 50)))
              for i in range(1000)]
    batch = gzip_batch(values)
    raw = sum(len(v) for v in values)
    proc, _, kafka_port = start(binary, data_dir)
    s = socket.create_connection(("127.0.0.1", kafka_port))
    cpu0 = proc_cpu(proc.pid)
    t0 = time.monotonic()
    sent = received = 0
    errors = set()
    while received < 200:
        while sent < 200 and sent - received < 10:
            s.sendall(produce_frame(sent + 1, "honest", batch))
            sent += 1
        errors.add(produce_error(read_frame(s)))
        received += 1
    elapsed = time.monotonic() - t0
    cpu = proc_cpu(proc.pid) - cpu0
    print(f"ordinary gzip batches ({len(batch)} bytes, {raw} uncompressed): errors "
          f"{sorted(errors)}, {1000 * elapsed / 200:.2f} ms each, broker CPU "
          f"{1000 * cpu / 200:.2f} ms each")
    stop(proc)


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bomb_produce(binary, data_dir):
    bomb = gzip_bomb(BOMB_BYTES)
    print(f"batch: {len(bomb)} bytes, inflating to {BOMB_BYTES} bytes of records")
    proc, _, kafka_port = start(binary, data_dir)
    rss_before = rss_kib(proc.pid, "VmRSS")
    victim_worst = [0.0]
    done = threading.Event()

    def victim():
        s = socket.create_connection(("127.0.0.1", kafka_port))
        corr = 0
        while not done.is_set():
            t = time.monotonic()
            s.sendall(api_versions_frame(corr))
            read_frame(s)
            victim_worst[0] = max(victim_worst[0], time.monotonic() - t)
            corr += 1
            time.sleep(0.01)
        s.close()

    v = threading.Thread(target=victim)
    v.start()
    s = socket.create_connection(("127.0.0.1", kafka_port))
    cpu0 = proc_cpu(proc.pid)
    t0 = time.monotonic()
    s.sendall(produce_frame(1, "bomb", bomb))
    first = produce_error(read_frame(s))
    t1 = time.monotonic()
    for corr in range(2, 21):
        s.sendall(produce_frame(corr, "bomb", bomb))
    errors = [produce_error(read_frame(s)) for _ in range(2, 21)]
    t2 = time.monotonic()
    cpu = proc_cpu(proc.pid) - cpu0
    done.set()
    v.join()
    print(f"first produce: error {first}, {1000 * (t1 - t0):.0f} ms")
    print(f"19 more, pipelined: errors {sorted(set(errors))}, {1000 * (t2 - t1) / 19:.0f} ms each")
    print(f"broker CPU: {1000 * cpu / 20:.0f} ms per batch")
    print(f"other client's worst ApiVersions round trip meanwhile: {1000 * victim_worst[0]:.0f} ms")
    print(f"broker RSS: {rss_before // 1024} MiB before, peak {rss_kib(proc.pid, 'VmHWM') // 1024} "
          f"MiB, {rss_kib(proc.pid, 'VmRSS') // 1024} MiB after")
    stop(proc)


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def victim_rounds(kafka_port, rounds, topic):
    """Small Produce and Fetch round trips, 5 ms apart: their times in ms."""
    s = socket.create_connection(("127.0.0.1", kafka_port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    batch = plain_batch([b"small value %d" % i for i in range(3)])
    produce_ms, fetch_ms = [], []
    for i in range(rounds):
        t = time.monotonic()
        s.sendall(produce_frame(2 * i, topic, batch))
        error = produce_error(read_frame(s))
        produce_ms.append(1000 * (time.monotonic() - t))
        if error:
            raise SystemExit(f"victim produce failed: error {error}")
        t = time.monotonic()
        s.sendall(fetch_frame(2 * i + 1, topic, 3 * i))
        read_frame(s)
        fetch_ms.append(1000 * (time.monotonic() - t))
        time.sleep(0.005)
    s.close()
    return sorted(produce_ms), sorted(fetch_ms)


def victim_latency(binary, data_dir, rounds):
    """Issue 14 section 4: decompression never blocks other clients' requests."""
    bomb = gzip_bomb(BOMB_BYTES)
    EXTRA_ARGS.extend(["--workers", "1"])
    proc, _, kafka_port = start(binary, data_dir)

    def show(label, times):
        p, f = times
        print(f"{label}: Produce median {percentile(p, 0.5):.2f} ms, p99 {percentile(p, 0.99):.1f} "
              f"ms, max {p[-1]:.1f} ms; Fetch median {percentile(f, 0.5):.2f} ms, p99 "
              f"{percentile(f, 0.99):.1f} ms, max {f[-1]:.1f} ms ({len(p)} each)")

    show("victim alone", victim_rounds(kafka_port, rounds, "quiet"))
    done = threading.Event()
    bombs = [0, set()]

    def hostile():
        s = socket.create_connection(("127.0.0.1", kafka_port))
        corr = 0
        while not done.is_set():
            corr += 1
            s.sendall(produce_frame(corr, "bomb", bomb))
            bombs[1].add(produce_error(read_frame(s)))
            bombs[0] += 1
        s.close()

    h = threading.Thread(target=hostile)
    cpu0 = proc_cpu(proc.pid)
    t0 = time.monotonic()
    h.start()
    time.sleep(0.5)
    times = victim_rounds(kafka_port, rounds, "victim")
    done.set()
    h.join()
    elapsed = time.monotonic() - t0
    cpu = proc_cpu(proc.pid) - cpu0
    show("victim while a client sends gzip bombs on the same worker", times)
    print(f"  {bombs[0]} bombs refused meanwhile (errors {sorted(bombs[1])}), "
          f"{1000 * elapsed / max(bombs[0], 1):.0f} ms each, broker CPU {cpu:.1f} s in {elapsed:.1f} s")
    stop(proc)


def native_victim_latency(binary, data_dir, rounds):
    """Decompression for native Consume never blocks other clients' requests either."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import hostile  # the native protocol's encoders

    EXTRA_ARGS.extend(["--workers", "1"])
    proc, native_port, kafka_port = start(binary, data_dir)
    big = gzip_batch([bytes(30 << 20)])
    k = socket.create_connection(("127.0.0.1", kafka_port))
    k.sendall(produce_frame(1, "big", big))
    error = produce_error(read_frame(k))
    k.close()
    if error:
        raise SystemExit(f"storing the 30 MiB record failed: error {error}")

    def rounds_of(topic):
        s = hostile.connect(native_port)
        f = s.makefile("rb")
        produce_ms, consume_ms = [], []
        for i in range(rounds):
            t = time.monotonic()
            s.sendall(hostile.native_produce(topic, [b"small value %d" % i]))
            hostile.read_native_reply(f)
            produce_ms.append(1000 * (time.monotonic() - t))
            t = time.monotonic()
            s.sendall(hostile.native_consume(topic, i, 1, b"victim"))
            hostile.read_native_reply(f)
            consume_ms.append(1000 * (time.monotonic() - t))
            time.sleep(0.005)
        s.close()
        return sorted(produce_ms), sorted(consume_ms)

    def show(label, times):
        p, c = times
        print(f"{label}: Produce median {percentile(p, 0.5):.2f} ms, p99 {percentile(p, 0.99):.1f} "
              f"ms, max {p[-1]:.1f} ms; Consume median {percentile(c, 0.5):.2f} ms, p99 "
              f"{percentile(c, 0.99):.1f} ms, max {c[-1]:.1f} ms ({len(p)} each)")

    c = socket.create_connection(("127.0.0.1", native_port))
    c.sendall(b"\x03" + hostile.sstr(b"quiet") + struct.pack(">I", 1) + hostile.sstr(b"v"))
    c.sendall(b"\x03" + hostile.sstr(b"victim") + struct.pack(">I", 1) + hostile.sstr(b"v"))
    f = c.makefile("rb")
    hostile.read_native_reply(f)
    hostile.read_native_reply(f)
    c.close()
    show("native victim alone", rounds_of(b"quiet"))
    done = threading.Event()
    reads = [0]

    def reader():
        s = hostile.connect(native_port)
        f = s.makefile("rb")
        while not done.is_set():
            s.sendall(hostile.native_consume(b"big", 0, 1))
            hostile.read_native_reply(f)
            reads[0] += 1
        s.close()

    h = threading.Thread(target=reader)
    t0 = time.monotonic()
    h.start()
    time.sleep(0.5)
    times = rounds_of(b"victim")
    done.set()
    h.join()
    elapsed = time.monotonic() - t0
    show("native victim while a client Consumes a 30 MiB gzip record on the same worker", times)
    print(f"  {reads[0]} Consumes of it meanwhile, {1000 * elapsed / max(reads[0], 1):.0f} ms each")
    stop(proc)


def stored_consume(binary, cli, data_dir):
    proc, native_port, _ = start(binary, data_dir)
    rss_before = rss_kib(proc.pid, "VmRSS")
    times = []
    result = None
    for _ in range(5):
        t = time.monotonic()
        result = subprocess.run([cli, "--port", str(native_port), "consume", "bomb", "--count",
                                 "1", "--format", "%o"], capture_output=True, text=True)
        times.append(time.monotonic() - t)
    print(f"native Consume of the stored batch: exit {result.returncode}, "
          f"{result.stderr.strip()[:200] or result.stdout.strip()[:40]!r}")
    print(f"  {1000 * min(times):.0f}-{1000 * max(times):.0f} ms each (5 runs, rivulet-cli "
          "start included)")
    print(f"broker RSS: {rss_before // 1024} MiB before, peak {rss_kib(proc.pid, 'VmHWM') // 1024} "
          f"MiB, {rss_kib(proc.pid, 'VmRSS') // 1024} MiB after")
    stop(proc)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        raise SystemExit(__doc__)
    binary, cli = args[0], args[1]
    keep = args[args.index("--keep") + 1] if "--keep" in args else None
    stored = args[args.index("--stored") + 1] if "--stored" in args else None
    if "--workers" in args:
        EXTRA_ARGS.extend(["--workers", args[args.index("--workers") + 1]])
    if stored:
        stored_consume(binary, cli, stored)
        return
    if "--victim-native" in args:
        rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 300
        with tempfile.TemporaryDirectory() as d:
            native_victim_latency(binary, d, rounds)
        return
    if "--victim" in args:
        rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 300
        with tempfile.TemporaryDirectory() as d:
            victim_latency(binary, d, rounds)
        return
    with tempfile.TemporaryDirectory() as d:
        ordinary_produce(binary, d)
    if keep:
        os.makedirs(keep, exist_ok=True)
        bomb_produce(binary, keep)
    else:
        with tempfile.TemporaryDirectory() as d:
            bomb_produce(binary, d)


if __name__ == "__main__":
    main()
