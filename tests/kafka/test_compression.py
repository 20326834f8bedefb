#!/usr/bin/env python3
"""Compressed record batches: kcat -P -z gzip|snappy|lz4|zstd must put batches compressed
with that codec on the wire, the broker keeps them as they came, and kcat -C reads back
exactly what was produced. kafka-python's gzip and zstd producers are the control that the
broker handles a compressed batch whatever the client.

The codec stored is read with a raw Fetch v4 (kafka_wire.py), from the batch attributes.

Usage: test_compression.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker  # noqa: E402
from kafka_wire import Connection, batches, fetch  # noqa: E402

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
# compressible, with keys and headers, enough to fill one batch per produce
MESSAGES = [(f"key-{i:03d}", f"value-{i:03d}-" + "abcdefgh" * 8) for i in range(60)]


def fetch_batches(host, port, topic, partition=0, offset=0):
    """Returns [(base_offset, attributes, records_count)] of the batches a Fetch v4 returns."""
    with Connection(host, port, "rivulet-compression-test") as conn:
        fetched = fetch(conn, topic, partition, offset, max_wait_ms=100, max_bytes=4 << 20)
    assert fetched["error"] == 0, f"fetch error {fetched['error']}"
    return [(b["base_offset"], b["attributes"], b["count"]) for b in batches(fetched["records"])]


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
