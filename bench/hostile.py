#!/usr/bin/env python3
"""Hostile clients against a rivulet broker, with the broker's memory before, during and after.

    bench/hostile.py RIVULET LOAD [broker options...]

starts RIVULET --headless --in-memory --port 0 (plus the options given), runs one LOAD over
loopback and prints the broker's RSS (VmRSS from /proc) and what the load saw:

  pipeline   10 native clients each pipelining 2,000 Consumes of a 64 MB partition, never
             reading the answers
  fetch      one Kafka Fetch with max_bytes and partition_max_bytes 2^31-1 on a 256 MB
             partition, the answer never read
  fetchdup   one 16 KB Kafka Fetch naming the same partition 1,000 times
             (partition_max_bytes 1 MiB), the answer read
  frames     five Kafka connections each declaring a 100 MiB frame and sending 99 MiB of it
  slowloris  500 native connections sending one byte a second; how long until each is closed

These are the loads of issue 14 section 4, for docs/PERFORMANCE.md ("Hostile clients").
Python standard library only.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


def hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1.0


def sstr(b):
    return struct.pack(">I", len(b)) + b


def native_produce(topic, values):
    return (b"\x01" + sstr(topic) + struct.pack(">II", 0, len(values)) +
            b"".join(sstr(v) for v in values) + sstr(b"hostile"))


def native_consume(topic, offset, limit, cid=b"hostile"):
    return b"\x02" + sstr(topic) + struct.pack(">III", 0, offset, limit) + sstr(cid)


def kafka_frame(api_key, version, body, correlation=1):
    header = struct.pack(">hhi", api_key, version, correlation) + struct.pack(">h", 7) + b"hostile"
    request = header + body
    return struct.pack(">i", len(request)) + request


def fetch_v4(topic, times, max_bytes, partition_max):
    body = struct.pack(">iiiib", -1, 0, 1, max_bytes, 0)
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic + struct.pack(">i", times)
    body += struct.pack(">iqi", 0, 0, partition_max) * times
    return kafka_frame(1, 4, body)


def connect(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_native_reply(f):
    """Reads one native reply (records up to Empty) from a socket's file; returns its size."""
    n = 0
    while True:
        tag = f.read(1)
        n += 1
        if tag == b"\x00":
            return n
        if tag == b"\x01":
            _, size = struct.unpack(">II", f.read(8))
            f.read(size)
            n += 8 + size
        elif tag == b"\x02":
            f.read(4)
            n += 4
        elif tag == b"\x03":
            raise RuntimeError("the broker answered Error")
        else:
            raise RuntimeError(f"unexpected tag {tag!r}")


def fill(native_port, topic, total_bytes, value_size=1000):
    s = connect(native_port)
    f = s.makefile("rb")
    s.sendall(b"\x03" + sstr(topic) + struct.pack(">I", 1) + sstr(b"hostile"))
    read_native_reply(f)
    values = [b"v" * value_size] * 1000
    for _ in range(total_bytes // (value_size * 1000)):
        s.sendall(native_produce(topic, values))
        read_native_reply(f)
    s.close()


def send_until_stuck(socks, payloads, stuck_s=2.0):
    """Sends each payload on its socket without blocking until none moves for stuck_s."""
    for s in socks:
        s.setblocking(False)
    sent = [0] * len(socks)
    last = time.monotonic()
    while time.monotonic() - last < stuck_s:
        moved = False
        for i, s in enumerate(socks):
            if sent[i] >= len(payloads[i]):
                continue
            try:
                n = s.send(payloads[i][sent[i]:sent[i] + (1 << 20)])
                if n > 0:
                    sent[i] += n
                    moved = True
            except (BlockingIOError, InterruptedError):
                pass
        if moved:
            last = time.monotonic()
        elif all(sent[i] >= len(payloads[i]) for i in range(len(socks))):
            break
        else:
            time.sleep(0.01)
    return sent


def settle(pid, seconds=3.0):
    """The broker's RSS once it stopped moving (sampled for a few seconds, the last kept)."""
    time.sleep(seconds)
    return rss_mib(pid)


def load_pipeline(pid, native, kafka):
    fill(native, b"deep", 64_000_000)
    before = settle(pid, 1)
    req = native_consume(b"deep", 0, 100000) * 2000
    socks = [connect(native, rcvbuf=4096) for _ in range(10)]
    sent = send_until_stuck(socks, [req] * 10)
    during = settle(pid)
    print(f"pipeline: {sum(sent)} of {10 * len(req)} request bytes taken; broker RSS "
          f"{before:.0f} MiB before, {during:.0f} MiB with 10 non-readers "
          f"({(during - before) / 10:.1f} MiB per stuck connection)")
    for s in socks:
        s.close()
    print(f"pipeline: {settle(pid):.0f} MiB after they closed")


def load_fetch(pid, native, kafka):
    fill(native, b"big", 256_000_000)
    before = settle(pid, 1)
    s = connect(kafka, rcvbuf=4096)
    s.sendall(fetch_v4(b"big", 1, 2**31 - 1, 2**31 - 1))
    during = settle(pid)
    print(f"fetch: broker RSS {before:.0f} MiB before, {during:.0f} MiB holding a Fetch of "
          f"max_bytes 2^31-1 its client does not read ({during - before:.0f} MiB for the "
          f"connection)")
    s.close()


def load_fetchdup(pid, native, kafka):
    fill(native, b"dup", 64_000_000)
    before = settle(pid, 1)
    request = fetch_v4(b"dup", 1000, 2**31 - 1, 1 << 20)
    s = connect(kafka)
    started = time.monotonic()
    s.sendall(request)
    f = s.makefile("rb")
    size = struct.unpack(">i", f.read(4))[0]
    f.read(size)
    took = time.monotonic() - started
    print(f"fetchdup: a {len(request)}-byte Fetch naming one partition 1,000 times got a "
          f"{size / 2**20:.1f} MiB answer in {took:.2f} s; broker peak RSS {hwm_mib(pid):.0f} "
          f"MiB (before: {before:.0f} MiB)")
    s.close()


def load_frames(pid, native, kafka):
    before = settle(pid, 1)
    socks = [connect(kafka) for _ in range(5)]
    payload = struct.pack(">i", 100 << 20) + b"x" * (99 << 20)
    sent = send_until_stuck(socks, [payload] * 5, stuck_s=3.0)
    during = settle(pid, 1)
    print(f"frames: {sum(sent) / 2**20:.0f} MiB of five unfinished 100 MiB frames taken; broker "
          f"RSS {before:.0f} MiB before, {during:.0f} MiB with them ({during - before:.0f} MiB "
          f"added)")
    for s in socks:
        s.close()


def load_slowloris(pid, native, kafka):
    request = native_consume(b"slow", 0, 1, b"c" * 200)
    socks = [connect(native) for _ in range(500)]
    started = time.monotonic()
    closed_at = {}
    i = 0
    while len(closed_at) < len(socks) and time.monotonic() - started < 120:
        for k, s in enumerate(socks):
            if k in closed_at:
                continue
            try:
                s.send(request[i:i + 1])
                s.setblocking(False)
                if s.recv(1) == b"":
                    closed_at[k] = time.monotonic() - started
            except BlockingIOError:
                pass
            except OSError:
                closed_at[k] = time.monotonic() - started
        i += 1
        time.sleep(1)
    if closed_at:
        times = sorted(closed_at.values())
        print(f"slowloris: {len(closed_at)} of 500 connections sending one byte a second "
              f"closed, after {times[0]:.1f} to {times[-1]:.1f} s; broker RSS "
              f"{rss_mib(pid):.0f} MiB")
    else:
        print("slowloris: none of 500 connections sending one byte a second was closed "
              "within 120 s")


LOADS = {"pipeline": load_pipeline, "fetch": load_fetch, "fetchdup": load_fetchdup,
         "frames": load_frames, "slowloris": load_slowloris}


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in LOADS:
        sys.exit(__doc__)
    broker = subprocess.Popen([sys.argv[1], "--headless", "--in-memory", "--port", "0"] +
                              sys.argv[3:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    line = broker.stdout.readline()
    m = re.search(r"native \S+:(\d+) kafka \S+:(\d+)", line)
    if not m:
        broker.kill()
        sys.exit(f"no ready line from the broker: {line!r}")
    try:
        LOADS[sys.argv[2]](broker.pid, int(m.group(1)), int(m.group(2)))
    finally:
        broker.terminate()
        broker.wait(60)


if __name__ == "__main__":
    main()
