#!/usr/bin/env python3
"""rivulet-cli export and import against a real Rivulet broker, checked with confluent-kafka
1.7.0: records with binary, empty and null keys, binary and null values, headers (binary
values, null values, repeated names) and explicit timestamps are exported to JSON Lines and
CSV, the JSON Lines are imported into another topic, and confluent-kafka reads back the same
keys, values, headers, timestamps and partitions. Bad files import nothing and name the line;
bad command lines exit 2, an unknown topic 1, no broker 3.

Usage: test_export_import.py PATH/TO/rivulet PATH/TO/rivulet-cli
"""

import base64
import csv
import ctypes
import json
import os
import socket
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, run  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TIMEOUT = 10.0
BASE_TS = 1_700_000_000_000


def records_to_produce():
    """(partition, key, value, headers, timestamp) of the source topic, 3 partitions."""
    out = []
    every_byte = bytes(range(256))
    for i in range(30):
        partition = i % 3
        if i % 10 == 0:
            key = None
        elif i % 10 == 1:
            key = b""
        elif i % 2 == 0:
            key = b"\x00\xff\xfe-" + bytes([i])
        else:
            key = f"key-{i}".encode()
        if i % 7 == 0:
            value = None  # a tombstone
        elif i % 7 == 1:
            value = every_byte
        elif i % 7 == 2:
            value = b""
        elif i % 7 == 3:
            value = 'text, "quoted"\r\nsecond line \u00e9 \U0001f600'.encode()
        else:
            value = json.dumps({"n": i, "s": "x" * i}).encode()
        headers = []
        if i % 3 != 0:
            headers = [("trace", b"\x80\x81" + bytes([i])), ("source", b"web"),
                       ("trace", f"again-{i}".encode()), ("none", None),
                       ("\u00fcnicode", "v\u00e9".encode())]
        out.append((partition, key, value, headers, BASE_TS + 1000 * i))
    return out


def message_headers(msg):
    """msg.headers(), with confluent-kafka 1.7.0's reference count of None repaired: its
    c_headers_to_py puts Py_None into each tuple of a null header value without taking a
    reference, so every such header read makes None one reference short, and Python 3.11
    aborts at exit ("none_dealloc"). The list is converted once per message."""
    headers = msg.headers() or []
    for _, value in headers:
        if value is None:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))
    return headers


def decode_field(obj, name):
    value = obj.get(name)
    if value is None:
        return None
    if obj.get(name + "Encoding") == "base64":
        return base64.b64decode(value, validate=True)
    return value.encode("utf-8")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class ExportImport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.tmp = tempfile.TemporaryDirectory(prefix="rivulet-export-")
        admin = AdminClient({"bootstrap.servers": cls.broker.bootstrap})
        futures = admin.create_topics([NewTopic(t, n, 1) for t, n in
                                       (("src", 3), ("dst", 3), ("one", 1), ("bad", 3),
                                        ("piped", 3), ("big", 1))], request_timeout=TIMEOUT)
        for f in futures.values():
            f.result(timeout=TIMEOUT)
        cls.produced = records_to_produce()
        producer = Producer({"bootstrap.servers": cls.broker.bootstrap})
        errors = []
        for partition, key, value, headers, ts in cls.produced:
            producer.produce("src", key=key, value=value, headers=headers, partition=partition,
                             timestamp=ts,
                             on_delivery=lambda err, msg: err and errors.append(err))
        assert producer.flush(TIMEOUT) == 0 and not errors, errors
        cls.source = cls.read_topic("src")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        rc = cls.broker.stop()
        assert rc == 0, f"rivulet exited with {rc}:\n{cls.broker.log_tail()}"

    @classmethod
    def read_topic(cls, topic, partitions=3):
        """Every record of the topic as confluent-kafka sees it: a sorted list of
        (partition, offset, key, value, headers, timestamp)."""
        consumer = Consumer({"bootstrap.servers": cls.broker.bootstrap, "group.id": "reader",
                             "enable.auto.commit": False, "enable.partition.eof": True})
        try:
            ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), TIMEOUT)[1]
                    for p in range(partitions)}
            consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
            out, pending = [], {p for p, end in ends.items() if end > 0}
            while pending:
                msg = consumer.poll(TIMEOUT)
                assert msg is not None, f"nothing more from {topic}; still waiting for {pending}"
                if msg.error():
                    pending.discard(msg.partition())
                    continue
                kind, ts = msg.timestamp()
                out.append((msg.partition(), msg.offset(), msg.key(), msg.value(),
                            message_headers(msg), ts))
                if msg.offset() + 1 >= ends[msg.partition()]:
                    pending.discard(msg.partition())
            return sorted(out, key=lambda r: (r[0], r[1]))
        finally:
            consumer.close()

    def cli(self, *args, input=None):
        return run([rivulet_broker.RIVULET_CLI_BIN, *args], input=input, timeout=60)

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def export(self, *args):
        result = self.cli("export", *args, "--bootstrap", self.broker.bootstrap)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    # -- export ---------------------------------------------------------------------------
    def test_source_is_what_was_produced(self):
        self.assertEqual(len(self.source), len(self.produced))
        # keys, values and headers made it through confluent-kafka as they were sent
        by_ts = {r[5]: r for r in self.source}
        for partition, key, value, headers, ts in self.produced:
            got = by_ts[ts]
            self.assertEqual((got[0], got[2], got[3], got[4]), (partition, key, value, headers))

    def test_jsonl_export_is_every_record_exactly(self):
        out = self.path("all.jsonl")
        result = self.export("src", "--output", out)
        self.assertIn(f"exported {len(self.source)} records of src to {out}", result.stderr)
        with open(out, "rb") as f:
            lines = f.read().split(b"\n")
        self.assertEqual(lines[-1], b"")  # every line ends in a newline
        exported = []
        for line in lines[:-1]:
            obj = json.loads(line)
            self.assertEqual(obj["topic"], "src")
            self.assertEqual(list(obj)[:4], ["topic", "partition", "offset", "timestamp"])
            headers = [(h["key"], decode_field(h, "value")) for h in obj["headers"]]
            exported.append((obj["partition"], obj["offset"], decode_field(obj, "key"),
                             decode_field(obj, "value"), headers, obj["timestamp"]))
        self.assertEqual(sorted(exported, key=lambda r: (r[0], r[1])), self.source)
        # the export read without a consumer group: none was created for it
        groups = AdminClient({"bootstrap.servers": self.broker.bootstrap}).list_groups(
            timeout=TIMEOUT)
        self.assertFalse([g.id for g in groups if g.id not in ("reader", "check")])
        # binary bytes are marked, text is not
        self.assertIn(b'"valueEncoding":"base64"', b"\n".join(lines))
        self.assertIn(b'"key":null', b"\n".join(lines))

    def test_csv_export(self):
        out = self.path("all.csv")
        self.export("src", "--format", "csv", "--output", out)
        with open(out, newline="", encoding="utf-8") as f:  # keeps the CR LF inside cells
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), len(self.source))
        got = []
        for row in rows:
            def cell(name):
                enc = row[name + "Encoding"]
                if enc == "null":
                    self.assertEqual(row[name], "")
                    return None
                if enc == "base64":
                    return base64.b64decode(row[name], validate=True)
                self.assertEqual(enc, "utf8")
                return row[name].encode()
            headers = [(h["key"], decode_field(h, "value")) for h in json.loads(row["headers"])]
            got.append((int(row["partition"]), int(row["offset"]), cell("key"), cell("value"),
                        headers, int(row["timestamp"])))
            self.assertTrue(row["time"].endswith("Z"), row["time"])
        self.assertEqual(sorted(got, key=lambda r: (r[0], r[1])), self.source)

    def test_partition_offset_and_count(self):
        result = self.export("src", "--partition", "1", "--from-offset", "3", "--count", "4")
        objs = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual([(o["partition"], o["offset"]) for o in objs],
                         [(1, 3), (1, 4), (1, 5), (1, 6)])
        # past the end: nothing, and no error
        result = self.export("src", "--partition", "1", "--from-offset", "1000")
        self.assertEqual(result.stdout, "")

    def test_from_timestamp(self):
        # records i >= 20 have timestamps from BASE_TS + 20 s
        result = self.export("src", "--from-timestamp", str(BASE_TS + 20_000))
        got = sorted(json.loads(line)["timestamp"] for line in result.stdout.splitlines())
        self.assertEqual(got, [BASE_TS + 1000 * i for i in range(20, 30)])

    # -- import ---------------------------------------------------------------------------
    def test_import_keeps_keys_headers_timestamps(self):
        out = self.path("for-import.jsonl")
        self.export("src", "--output", out)
        result = self.cli("import", "dst", out, "--bootstrap", self.broker.bootstrap)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"imported {len(self.source)} records from {out} into dst "
                      "(all acknowledged)", result.stderr)
        # the same partitions, and dst was empty, so the same offsets too
        self.assertEqual(self.read_topic("dst"), self.source)

    def test_import_from_stdin_into_one_partition(self):
        exported = self.export("src").stdout
        result = self.cli("import", "one", "--partition", "0", "-",
                          "--bootstrap", self.broker.bootstrap, input=exported)
        self.assertEqual(result.returncode, 0, result.stderr)
        got = self.read_topic("one", partitions=1)
        self.assertEqual(len(got), len(self.source))
        self.assertEqual({r[0] for r in got}, {0})
        strip = lambda r: (r[2], r[3], r[4], r[5])  # noqa: E731 - key, value, headers, ts
        self.assertEqual(sorted(map(strip, got), key=repr), sorted(map(strip, self.source), key=repr))

    def test_hand_written_minimal_lines(self):
        lines = ('{"value":"plain"}\n'
                 '\n'
                 '{"key":"k","value":"aGk=","valueEncoding":"base64","timestamp":5,'
                 '"headers":[{"key":"h","value":null}]}\r\n')
        result = self.cli("import", "piped", "--partition", "2",
                          "--bootstrap", self.broker.bootstrap, input=lines)
        self.assertEqual(result.returncode, 0, result.stderr)
        got = self.read_topic("piped")
        self.assertEqual([(r[0], r[2], r[3], r[4]) for r in got],
                         [(2, None, b"plain", []), (2, b"k", b"hi", [("h", None)])])
        self.assertEqual(got[1][5], 5)

    # -- errors ---------------------------------------------------------------------------
    def assert_nothing_in(self, topic):
        consumer = Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": "check"})
        try:
            for p in range(3):
                self.assertEqual(consumer.get_watermark_offsets(TopicPartition(topic, p),
                                                                TIMEOUT), (0, 0))
        finally:
            consumer.close()

    def test_malformed_line_imports_nothing(self):
        bad = self.path("bad.jsonl")
        with open(bad, "w") as f:
            f.write('{"value":"one"}\n{"value":"two"}\n{"value":"three"}\n'
                    '{"value":"four", "timestmap": 1}\n{"value":"five"}\n')
        result = self.cli("import", "bad", bad, "--bootstrap", self.broker.bootstrap)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"{bad}: line 4: unknown field \"timestmap\"", result.stderr)
        self.assertIn("nothing was imported", result.stderr)
        for content, expected in ((b'{"value":"a"}\n{"value":\n', "line 2: not JSON"),
                                  (b'{"value":"!","valueEncoding":"base64"}\n',
                                   "line 1: value is not valid base64"),
                                  (b'{"value":"a","partition":7}\n',
                                   "line 1: partition 7, but topic 'bad' has partitions 0 to 2")):
            result = self.cli("import", "bad", "--bootstrap", self.broker.bootstrap,
                              input=content.decode())
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(expected, result.stderr)
            self.assertIn("nothing was imported", result.stderr)
        self.assert_nothing_in("bad")

    def test_refused_record_is_reported_with_what_was_acknowledged(self):
        # the second of three records is over import's 32 MiB record limit: the first is in
        # the topic, and the command says so, names the line and exits 1
        big = self.path("big.jsonl")
        with open(big, "w") as f:
            f.write('{"value":"small","partition":0}\n')
            f.write('{"partition":0,"valueEncoding":"base64","value":"' +
                    base64.b64encode(b"\x00" * (33 << 20)).decode() + '"}\n')
            f.write('{"value":"never sent","partition":0}\n')
        result = self.cli("import", "big", big, "--bootstrap", self.broker.bootstrap)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(f"1 of 3 records from {big} were acknowledged by the broker and are in "
                      "'big'; the rest were not imported", result.stderr)
        self.assertIn("line 2: the client refused the record", result.stderr)
        self.assertEqual([r[3] for r in self.read_topic("big", partitions=1)], [b"small"])

    def test_command_line_errors(self):
        for args, expected in ((["export"], "give exactly one TOPIC"),
                               (["export", "src", "--format", "xml"], "--format wants jsonl or csv"),
                               (["export", "src", "--from-offset", "1", "--from-timestamp", "2"],
                                "not both"),
                               (["export", "src", "--count", "-1"], "--count wants"),
                               (["import"], "give a TOPIC"),
                               (["import", "dst", "/nonexistent/file.jsonl"], "cannot read"),
                               (["export", "src", "--partition", "3", "--bootstrap",
                                 self.broker.bootstrap], "partitions 0 to 2, not 3")):
            result = self.cli(*args)
            self.assertEqual(result.returncode, 2, (args, result.stderr))
            self.assertIn(expected, result.stderr)
            self.assertIn("Try 'rivulet-cli --help'", result.stderr)

    def test_unknown_topic_and_no_broker(self):
        result = self.cli("export", "no-such-topic", "--bootstrap", self.broker.bootstrap)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("there is no topic 'no-such-topic'", result.stderr)
        dead = f"127.0.0.1:{free_port()}"
        for args in (["export", "src"], ["import", "dst"]):
            result = self.cli(*args, "--bootstrap", dead, input='{"value":"x"}\n')
            self.assertEqual(result.returncode, 3, result.stderr)
            self.assertIn(f"no Kafka broker answered at {dead}", result.stderr)


if __name__ == "__main__":
    rivulet_broker.main()
