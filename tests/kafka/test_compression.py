#!/usr/bin/env python3
"""Compressed record batches: kcat -P -z gzip|snappy|lz4|zstd must put batches compressed
with that codec on the wire, the broker keeps them as they came, and kcat -C reads back
exactly what was produced. kafka-python's gzip and zstd producers are the control that the
broker handles a compressed batch whatever the client.

The codec stored is read with a raw Fetch v4 (stdlib socket), from the batch attributes.

Usage: test_compression.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker  # noqa: E402

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
# compressible, with keys and headers, enough to fill one batch per produce
MESSAGES = [(f"key-{i:03d}", f"value-{i:03d}-" + "abcdefgh" * 8) for i in range(60)]


def _recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        buf += chunk
    return bytes(buf)


def _kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def fetch_batches(host, port, topic, partition=0, offset=0):
    """Returns [(base_offset, attributes, records_count)] of the batches a Fetch v4 returns."""
    body = struct.pack(">iiiib", -1, 100, 1, 4 << 20, 0)  # replica, wait, min, max, isolation
    body += struct.pack(">i", 1) + _kstr(topic)
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 4 << 20)
    header = struct.pack(">hhi", 1, 4, 7) + _kstr("rivulet-compression-test")
    request = header + body
    with socket.create_connection((host, port), timeout=10) as s:
        s.settimeout(10)
        s.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _recv_exactly(s, 4))[0]
        resp = _recv_exactly(s, size)
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from(fmt, resp, pos)
        pos += struct.calcsize(fmt)
        return values

    corr, _throttle, ntopics = take(">iii")
    assert corr == 7 and ntopics == 1, (corr, ntopics)
    (name_len,) = take(">h")
    pos += name_len
    (nparts,) = take(">i")
    assert nparts == 1
    _part, error, _hw, _lso, naborted = take(">ihqqi")
    assert error == 0, f"fetch error {error}"
    pos += max(naborted, 0) * 16
    (records_size,) = take(">i")
    records = resp[pos:pos + max(records_size, 0)]
    batches = []
    at = 0
    while at + 61 <= len(records):
        base, length = struct.unpack_from(">qi", records, at)
        if at + 12 + length > len(records):
            break  # a partial batch at the end of the answer
        magic = records[at + 16]
        assert magic == 2, f"magic {magic}"
        (attributes,) = struct.unpack_from(">h", records, at + 21)
        (count,) = struct.unpack_from(">i", records, at + 57)
        batches.append((base, attributes, count))
        at += 12 + length
    return batches


class CompressionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    def produce_with_kcat(self, topic, codec):
        data = "".join(f"{k}:{v}\n" for k, v in MESSAGES)
        # -d msg makes librdkafka say when it decides not to compress
        r = self.broker.kcat("-P", "-t", topic, "-K:", "-H", "codec=" + codec, "-z", codec,
                             "-d", "msg", input=data)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stderr

    def read_back(self, topic, codec):
        r = self.broker.kcat("-C", "-t", topic, "-o", "beginning", "-e", "-f", "%o|%k|%s|%h\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        want = [f"{i}|{k}|{v}|codec={codec}" for i, (k, v) in enumerate(MESSAGES)]
        self.assertEqual(r.stdout.splitlines(), want)

    def check_codec(self, codec):
        topic = f"comp-{codec}"
        log = self.produce_with_kcat(topic, codec)
        self.read_back(topic, codec)
        refused = [line for line in log.splitlines() if "does not support compression" in line]
        batches = fetch_batches(self.broker.kafka_host, self.broker.kafka_port, topic)
        self.assertTrue(batches, "no batches fetched")
        self.assertEqual(sum(n for _, _, n in batches), len(MESSAGES))
        stored = sorted({attributes & 7 for _, attributes, _ in batches})
        self.assertEqual(stored, [CODECS[codec]],
                         f"kcat -z {codec} produced batches with codec {stored}, not "
                         f"{CODECS[codec]}; librdkafka said:\n" + "\n".join(refused))
        self.assertEqual(refused, [])

    def test_gzip(self):
        self.check_codec("gzip")

    def test_snappy(self):
        self.check_codec("snappy")

    def test_lz4(self):
        self.check_codec("lz4")

    def test_zstd(self):
        # librdkafka sends zstd only to brokers with Produce v7+ and Fetch v10+
        self.check_codec("zstd")

    def check_kafka_python_codec(self, codec):
        from kafka import KafkaProducer

        topic = f"comp-kafka-python-{codec}"
        producer = KafkaProducer(bootstrap_servers=self.broker.bootstrap,
                                 compression_type=codec, linger_ms=50, max_block_ms=10000,
                                 request_timeout_ms=10000)
        try:
            futures = [producer.send(topic, key=k.encode(), value=v.encode(),
                                     headers=[("codec", codec.encode())], partition=0)
                       for k, v in MESSAGES]
            producer.flush(15)
            offsets = [f.get(timeout=10).offset for f in futures]
        finally:
            producer.close(10)
        self.assertEqual(offsets, list(range(len(MESSAGES))))
        batches = fetch_batches(self.broker.kafka_host, self.broker.kafka_port, topic)
        self.assertEqual(sum(n for _, _, n in batches), len(MESSAGES))
        self.assertEqual({attributes & 7 for _, attributes, _ in batches}, {CODECS[codec]})
        self.read_back(topic, codec)

    def test_zstd_from_kafka_python(self):
        # kafka-python refuses zstd unless the broker looks like Kafka 2.1 or newer
        self.check_kafka_python_codec("zstd")

    def test_gzip_batch_from_kafka_python_is_kept_and_readable(self):
        self.check_kafka_python_codec("gzip")


if __name__ == "__main__":
    rivulet_broker.main()
