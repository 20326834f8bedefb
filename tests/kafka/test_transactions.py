#!/usr/bin/env python3
"""Idempotent and transactional producers against a real Rivulet broker (KIP-98).

- confluent-kafka 1.7.0 (librdkafka 2.0.2) and kcat with enable.idempotence: every message
  once, in order, at dense offsets, in batches that carry the producer id and sequences.
- confluent-kafka transactions: commit, abort, transactions of two producers interleaved on
  three partitions (exact offsets, markers, last stable offset, aborted lists), and
  consume-transform-produce with send_offsets_to_transaction, one round aborted and redone.
- Fencing by a second instance of a transactional.id; a transaction abandoned past its
  transaction.timeout.ms aborted by the broker.
- kill -9 between a transaction's produce and its commit; an idempotent batch retried across
  kill -9 (raw requests: InitProducerId v1/v3, Produce v3 with hand-built record batches).
- kafkajs (kafkajs/transactions.js): idempotent producer, transactions with sendOffsets, and
  admin.fetchOffsets({ groupId }) without topics.
- kafka-python: KafkaAdminClient.list_consumer_group_offsets(group) without partitions.

Records are read back with the clients' consumers; the byte-level facts (producer ids,
sequences, markers, last stable offset, aborted transactions) with a raw Fetch v4.

Usage: test_transactions.py PATH/TO/rivulet [PATH/TO/rivulet-cli]
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rivulet_broker  # noqa: E402
from rivulet_broker import Broker, TempDir, run, run_kafkajs, wait_until  # noqa: E402
import kafka_wire  # noqa: E402
from kafka_wire import (ADD_PARTITIONS_TO_TXN, END_TXN, INIT_PRODUCER_ID, PRODUCE,  # noqa: E402
                        Connection, body, record_batch)

from confluent_kafka import (  # noqa: E402
    OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TIMEOUT = 10.0
GROUP_TIMEOUT = 30.0  # a group's first round waits 3 s
os.environ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1"

# Kafka error codes
NONE = 0
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47


# --- raw requests (kafka_wire): just what the byte-level checks need -------------------------

class RawKafka(Connection):
    """One connection speaking a handful of requests, with request header v1 (v2 for the
    flexible InitProducerId v3)."""

    def __init__(self, host, port):
        super().__init__(host, port, "rivulet-txn")

    def init_producer_id(self, transactional_id=None, timeout_ms=60000):
        """InitProducerId v1: (error, producer id, epoch)."""
        w = body(INIT_PRODUCER_ID, 1).string(transactional_id).i32(timeout_ms)
        _throttle, error, pid, epoch = self.call(INIT_PRODUCER_ID, 1, w).take(">ihqh")
        return error, pid, epoch

    def bump_producer_epoch(self, producer_id, epoch):
        """InitProducerId v3 (KIP-360) of an idempotent producer naming its id and epoch:
        (error, producer id, epoch)."""
        w = body(INIT_PRODUCER_ID, 3).string(None).i32(60000).i64(producer_id).i16(epoch).tags()
        _throttle, error, pid, new_epoch = self.call(INIT_PRODUCER_ID, 3, w).take(">ihqh")
        return error, pid, new_epoch

    def add_partitions_to_txn(self, transactional_id, producer_id, epoch, topic, partitions):
        """AddPartitionsToTxn v1: {partition: error}."""
        w = body(ADD_PARTITIONS_TO_TXN, 1).string(transactional_id).i64(producer_id).i16(epoch)
        w.array([topic], lambda w, t: w.string(t).int32s(partitions))
        r = self.call(ADD_PARTITIONS_TO_TXN, 1, w)
        r.take(">i")  # throttle
        assert r.take(">i") == 1
        assert r.string() == topic
        return dict(r.take(">ih") for _ in range(r.take(">i")))

    def end_txn(self, transactional_id, producer_id, epoch, commit):
        """EndTxn v1: the error code."""
        w = body(END_TXN, 1).string(transactional_id).i64(producer_id).i16(epoch).i8(commit)
        _throttle, error = self.call(END_TXN, 1, w).take(">ih")
        return error

    def produce(self, topic, partition, batch, acks=-1, transactional_id=None):
        """Produce v3 of one batch: (error, base offset)."""
        w = body(PRODUCE, 3).string(transactional_id).i16(acks).i32(10000)
        w.array([topic], lambda w, t: w.string(t).array(
            [partition], lambda w, p: w.i32(p).i32(len(batch)).raw(batch)))
        r = self.call(PRODUCE, 3, w)
        assert r.take(">i") == 1
        assert r.string() == topic
        assert r.take(">i") == 1
        index, error, base, _append_time = r.take(">ihqq")
        assert index == partition
        return error, base

    def fetch(self, topic, partition, offset=0, read_committed=False):
        """Fetch v4: {error, high_watermark, last_stable_offset, aborted, batches} (batches
        as kafka_wire.batches() reads them, all uncompressed)."""
        fetched = kafka_wire.fetch(self, topic, partition, offset, read_committed)
        batches = kafka_wire.batches(fetched["records"])
        for b in batches:
            if b["values"] is None:
                raise AssertionError(f"batch at offset {b['base_offset']} is compressed "
                                     f"({b['attributes'] & 7})")
        return {"error": fetched["error"], "high_watermark": fetched["high_watermark"],
                "last_stable_offset": fetched["last_stable_offset"],
                "aborted": fetched["aborted"], "batches": batches}


def raw(broker):
    return RawKafka(broker.kafka_host, broker.kafka_port)


def log_of(broker, topic, partition, read_committed=False):
    conn = raw(broker)
    try:
        return conn.fetch(topic, partition, 0, read_committed)
    finally:
        conn.close()


def layout(fetched):
    """[(offset, what)] of a partition: a record's value, or 'abort'/'commit' for a marker."""
    out = []
    for b in fetched["batches"]:
        if b["control"]:
            out.append((b["base_offset"], b["values"][0]))
        else:
            out.extend((b["base_offset"] + i, v) for i, v in enumerate(b["values"]))
    return out


# --- confluent-kafka helpers ----------------------------------------------------------------

class Clients(unittest.TestCase):
    """A broker per test class, topics, producers and read-until-with-deadline consumers."""

    @classmethod
    def setUpClass(cls):
        cls.data = TempDir()
        cls.broker = Broker(data_dir=cls.data.path).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop_checked()

    def setUp(self):
        self.closers = []

    def tearDown(self):
        for close in reversed(self.closers):
            try:
                close()
            except Exception:  # noqa: BLE001 - the test already has its verdict
                pass

    def create_topic(self, name, partitions):
        self._admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        futures = self._admin.create_topics([NewTopic(name, partitions, 1)],
                                            request_timeout=TIMEOUT)
        self.assertIsNone(futures[name].result(timeout=TIMEOUT))

    def producer(self, **config):
        return Producer({"bootstrap.servers": self.broker.bootstrap,
                         "message.timeout.ms": int(TIMEOUT * 1000), **config})

    def txn_producer(self, transactional_id, **config):
        if "transaction.timeout.ms" in config:  # librdkafka wants messages to time out first
            config.setdefault("message.timeout.ms",
                              min(int(TIMEOUT * 1000), config["transaction.timeout.ms"]))
        p = self.producer(**{"transactional.id": transactional_id, **config})
        p.init_transactions(TIMEOUT)
        return p

    def produce(self, producer, topic, items):
        """Produces [(partition, value)] and flushes; returns [(partition, offset, value)]
        from the delivery reports, in the order given."""
        reports = {}

        def delivered(err, msg):
            reports[msg.value().decode()] = (err, msg.partition(), msg.offset())

        for partition, value in items:
            producer.produce(topic, value=value.encode(), partition=partition,
                             on_delivery=delivered)
        self.assertEqual(producer.flush(TIMEOUT), 0, "records still undelivered")
        self.assertEqual({v: r[0] for v, r in reports.items() if r[0] is not None}, {})
        return [(reports[v][1], reports[v][2], v) for _, v in items]

    def consumer(self, isolation, **config):
        c = Consumer({"bootstrap.servers": self.broker.bootstrap,
                      "group.id": f"reader-{time.monotonic_ns()}",
                      "enable.auto.commit": False, "auto.offset.reset": "earliest",
                      "isolation.level": isolation, **config})
        self.closers.append(c.close)
        return c

    def read_until(self, topic, partitions, isolation, done, timeout=TIMEOUT * 2):
        """Reads the partitions from offset 0 until done(got) holds; returns
        [(partition, offset, value)] sorted. Fails with what arrived if it never does."""
        c = self.consumer(isolation)
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        got = []
        deadline = time.monotonic() + timeout
        while not done(got):
            if time.monotonic() > deadline:
                self.fail(f"{isolation} reading {topic}: still not done after {timeout:.0f} s; "
                          f"got {sorted(got)}")
            m = c.poll(0.1)
            if m is None:
                continue
            if m.error():
                self.fail(f"{isolation} reading {topic}: {m.error()}")
            got.append((m.partition(), m.offset(), m.value().decode()))
        c.close()
        self.closers.remove(c.close)
        return sorted(got)

    @staticmethod
    def seen(*values):
        return lambda got: all(any(g[2] == v for g in got) for v in values)

    def producer_ids(self, topic, partitions):
        """{value: (producer id, epoch)} of every record, from the batch headers."""
        ids = {}
        for p in range(partitions):
            for b in log_of(self.broker, topic, p)["batches"]:
                for v in b["values"]:
                    if not b["control"]:
                        ids[v] = (b["producer_id"], b["epoch"])
        return ids


# --- 1. idempotent producers ---------------------------------------------------------------

class IdempotentProducers(Clients):
    def check_idempotent_batches(self, topic, partition, count):
        """Every batch has one producer id (epoch 0), and sequences run with the offsets from
        0: a fresh idempotent producer's sequence n is its record at offset n."""
        fetched = log_of(self.broker, topic, partition)
        batches = fetched["batches"]
        self.assertEqual(fetched["high_watermark"], count)
        self.assertTrue(batches)
        self.assertEqual(len({b["producer_id"] for b in batches}), 1, batches)
        self.assertGreaterEqual(batches[0]["producer_id"], 0)
        self.assertEqual({b["epoch"] for b in batches}, {0})
        self.assertEqual([b["base_sequence"] for b in batches],
                         [b["base_offset"] for b in batches])
        self.assertEqual(sum(len(b["values"]) for b in batches), count)
        self.assertFalse(any(b["transactional"] or b["control"] for b in batches))
        return batches

    def test_confluent_idempotent_producer_lands_once_in_order(self):
        topic, partitions, per_partition = "idem-confluent", 3, 200
        self.create_topic(topic, partitions)
        p = self.producer(**{"enable.idempotence": True, "linger.ms": 2,
                             "batch.num.messages": 37})
        items = [(i % partitions, f"idem-{i % partitions}-{i // partitions}")
                 for i in range(partitions * per_partition)]
        reports = self.produce(p, topic, items)
        for part in range(partitions):
            self.assertEqual([(o, v) for pp, o, v in reports if pp == part],
                             [(i, f"idem-{part}-{i}") for i in range(per_partition)],
                             f"partition {part}: offsets dense and in the order sent")
        got = self.read_until(topic, partitions, "read_committed",
                              lambda g: len(g) >= len(items))
        self.assertEqual(got, sorted(reports))
        for part in range(partitions):
            batches = self.check_idempotent_batches(topic, part, per_partition)
            self.assertGreater(len(batches), 1, "several batches per partition")

    def test_kcat_idempotent_producer_lands_once_in_order(self):
        topic, count = "idem-kcat", 500
        self.create_topic(topic, 1)
        lines = [f"kcat-{i}" for i in range(count)]
        r = self.broker.kcat("-P", "-t", topic, "-p", "0", "-X", "enable.idempotence=true",
                             "-X", "batch.num.messages=64", input="".join(x + "\n" for x in lines))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.broker.kcat("-C", "-t", topic, "-o", "beginning", "-e", "-f", "%o|%s\n",
                             "-X", "isolation.level=read_committed")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [f"{i}|{v}" for i, v in enumerate(lines)])
        batches = self.check_idempotent_batches(topic, 0, count)
        self.assertGreater(len(batches), 1)


# --- 2, 3, 4. transactions with confluent-kafka ---------------------------------------------

class Transactions(Clients):
    def test_commit_is_seen_by_read_committed(self):
        topic = "txn-commit"
        self.create_topic(topic, 2)
        p = self.txn_producer("txn-commit-id")
        p.begin_transaction()
        reports = self.produce(p, topic, [(0, "c0"), (1, "c1"), (0, "c2"), (1, "c3")])
        self.assertEqual(reports, [(0, 0, "c0"), (1, 0, "c1"), (0, 1, "c2"), (1, 1, "c3")])
        # open: the last stable offset holds at the transaction's first record
        for part in (0, 1):
            open_ = log_of(self.broker, topic, part, read_committed=True)
            self.assertEqual((open_["high_watermark"], open_["last_stable_offset"],
                              open_["batches"]), (2, 0, []))
        p.commit_transaction(TIMEOUT)
        got = self.read_until(topic, 2, "read_committed", self.seen("c2", "c3"))
        self.assertEqual(got, sorted(reports))
        for part in (0, 1):
            fetched = log_of(self.broker, topic, part, read_committed=True)
            self.assertEqual((fetched["high_watermark"], fetched["last_stable_offset"],
                              fetched["aborted"]), (3, 3, []))
            self.assertEqual([v for _, v in layout(fetched)],
                             [f"c{part}", f"c{part + 2}", "commit"])
            data, marker = fetched["batches"][0], fetched["batches"][-1]
            self.assertTrue(data["transactional"])
            self.assertTrue(marker["transactional"] and marker["control"])
            self.assertEqual((marker["producer_id"], marker["epoch"]),
                             (data["producer_id"], data["epoch"]))

    def test_abort_is_seen_only_by_read_uncommitted(self):
        topic = "txn-abort"
        self.create_topic(topic, 1)
        p = self.txn_producer("txn-abort-id")
        p.begin_transaction()
        self.assertEqual(self.produce(p, topic, [(0, "a0"), (0, "a1")]),
                         [(0, 0, "a0"), (0, 1, "a1")])
        p.abort_transaction(TIMEOUT)
        p.begin_transaction()
        self.assertEqual(self.produce(p, topic, [(0, "c0")]), [(0, 3, "c0")])
        p.commit_transaction(TIMEOUT)
        self.assertEqual(self.read_until(topic, 1, "read_committed", self.seen("c0")),
                         [(0, 3, "c0")])
        self.assertEqual(self.read_until(topic, 1, "read_uncommitted", self.seen("c0")),
                         [(0, 0, "a0"), (0, 1, "a1"), (0, 3, "c0")])
        pid = self.producer_ids(topic, 1)["a0"][0]
        fetched = log_of(self.broker, topic, 0, read_committed=True)
        self.assertEqual(layout(fetched), [(0, "a0"), (1, "a1"), (2, "abort"), (3, "c0"),
                                           (4, "commit")])
        self.assertEqual(fetched["aborted"], [(pid, 0)])
        self.assertEqual((fetched["high_watermark"], fetched["last_stable_offset"]), (5, 5))

    def test_interleaved_transactions_on_three_partitions(self):
        topic = "txn-interleaved"
        self.create_topic(topic, 3)
        a = self.txn_producer("txn-inter-a")
        b = self.txn_producer("txn-inter-b")
        a.begin_transaction()
        b.begin_transaction()
        self.assertEqual(self.produce(a, topic, [(0, "a0"), (1, "a1")]),
                         [(0, 0, "a0"), (1, 0, "a1")])
        self.assertEqual(self.produce(b, topic, [(0, "b0"), (2, "b1")]),
                         [(0, 1, "b0"), (2, 0, "b1")])
        self.assertEqual(self.produce(a, topic, [(2, "a2")]), [(2, 1, "a2")])
        # both open on p0 and p2: the last stable offset is the first open record
        self.assertEqual([log_of(self.broker, topic, p, True)["last_stable_offset"]
                          for p in range(3)], [0, 0, 0])
        a.commit_transaction(TIMEOUT)  # markers at p0@2, p1@1, p2@2
        # b still open on p0 (from 1) and p2 (from 0)
        self.assertEqual([log_of(self.broker, topic, p, True)["last_stable_offset"]
                          for p in range(3)], [1, 2, 0])
        self.assertEqual(self.produce(b, topic, [(1, "b2")]), [(1, 2, "b2")])
        b.abort_transaction(TIMEOUT)  # markers at p0@3, p1@3, p2@3
        a.begin_transaction()
        self.assertEqual(self.produce(a, topic, [(0, "a3"), (1, "a4")]),
                         [(0, 4, "a3"), (1, 4, "a4")])
        a.abort_transaction(TIMEOUT)  # markers at p0@5, p1@5
        b.begin_transaction()
        self.assertEqual(self.produce(b, topic, [(2, "b3"), (0, "b4")]),
                         [(2, 4, "b3"), (0, 6, "b4")])
        b.commit_transaction(TIMEOUT)  # markers at p0@7, p2@5
        plain = self.producer()
        self.assertEqual(self.produce(plain, topic, [(0, "end0"), (1, "end1"), (2, "end2")]),
                         [(0, 8, "end0"), (1, 6, "end1"), (2, 6, "end2")])
        ends = self.seen("end0", "end1", "end2")

        self.assertEqual(self.read_until(topic, 3, "read_committed", ends), sorted([
            (0, 0, "a0"), (0, 6, "b4"), (0, 8, "end0"),
            (1, 0, "a1"), (1, 6, "end1"),
            (2, 1, "a2"), (2, 4, "b3"), (2, 6, "end2")]))
        self.assertEqual(self.read_until(topic, 3, "read_uncommitted", ends), sorted([
            (0, 0, "a0"), (0, 1, "b0"), (0, 4, "a3"), (0, 6, "b4"), (0, 8, "end0"),
            (1, 0, "a1"), (1, 2, "b2"), (1, 4, "a4"), (1, 6, "end1"),
            (2, 0, "b1"), (2, 1, "a2"), (2, 4, "b3"), (2, 6, "end2")]))

        ids = self.producer_ids(topic, 3)
        pa, pb = ids["a0"][0], ids["b0"][0]
        self.assertNotEqual(pa, pb)
        logs = [log_of(self.broker, topic, p, read_committed=True) for p in range(3)]
        self.assertEqual([layout(f) for f in logs], [
            [(0, "a0"), (1, "b0"), (2, "commit"), (3, "abort"), (4, "a3"), (5, "abort"),
             (6, "b4"), (7, "commit"), (8, "end0")],
            [(0, "a1"), (1, "commit"), (2, "b2"), (3, "abort"), (4, "a4"), (5, "abort"),
             (6, "end1")],
            [(0, "b1"), (1, "a2"), (2, "commit"), (3, "abort"), (4, "b3"), (5, "commit"),
             (6, "end2")]])
        markers = {(p, b["base_offset"]): b["producer_id"] for p, f in enumerate(logs)
                   for b in f["batches"] if b["control"]}
        self.assertEqual(markers, {(0, 2): pa, (0, 3): pb, (0, 5): pa, (0, 7): pb,
                                   (1, 1): pa, (1, 3): pb, (1, 5): pa,
                                   (2, 2): pa, (2, 3): pb, (2, 5): pb})
        self.assertEqual([f["aborted"] for f in logs],
                         [sorted([(pb, 1), (pa, 4)]), sorted([(pb, 2), (pa, 4)]), [(pb, 0)]])
        self.assertEqual([(f["high_watermark"], f["last_stable_offset"]) for f in logs],
                         [(9, 9), (7, 7), (7, 7)])
        # read from past the aborted transactions' first offsets: only those still ahead
        conn = raw(self.broker)
        try:
            self.assertEqual(conn.fetch(topic, 0, 4, read_committed=True)["aborted"],
                             [(pa, 4)])
            self.assertEqual(conn.fetch(topic, 0, 6, read_committed=True)["aborted"], [])
        finally:
            conn.close()

    def test_consume_transform_produce_exactly_once(self):
        src, dst, group, per_partition = "eos-in", "eos-out", "eos-group", 10
        self.create_topic(src, 2)
        self.create_topic(dst, 2)
        inputs = self.produce(self.producer(), src,
                              [(p, f"in-{p}-{i}") for i in range(per_partition) for p in (0, 1)])
        self.assertEqual(sorted(inputs),
                         [(p, i, f"in-{p}-{i}") for p in (0, 1) for i in range(per_partition)])
        consumer = self.consumer("read_committed", **{"group.id": group})
        consumer.subscribe([src])
        producer = self.txn_producer("eos-transformer")
        tps = [TopicPartition(src, p) for p in (0, 1)]

        def committed():
            return {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=TIMEOUT)}

        def take(n):
            msgs = []
            deadline = time.monotonic() + GROUP_TIMEOUT
            while len(msgs) < n:
                self.assertLess(time.monotonic(), deadline,
                                f"consumed only {len(msgs)} of {n} within {GROUP_TIMEOUT} s")
                for m in consumer.consume(n - len(msgs), 0.2):
                    self.assertIsNone(m.error(), m.error())
                    msgs.append(m)
            return msgs

        def transform(msgs, commit):
            """One round: transformed records out, the consumer's positions as the group's
            offsets, in one transaction. Returns the positions sent."""
            producer.begin_transaction()
            for m in msgs:
                producer.produce(dst, key=f"{m.partition()}:{m.offset()}".encode(),
                                 value=m.value().upper(), partition=m.partition())
            # delivered before the end: abort_transaction() purges what is still queued, and
            # the aborted records must be in the log for read_uncommitted to see
            self.assertEqual(producer.flush(TIMEOUT), 0)
            positions = [tp for tp in consumer.position(consumer.assignment()) if tp.offset >= 0]
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(),
                                                 TIMEOUT)
            if commit:
                producer.commit_transaction(TIMEOUT)
            else:
                producer.abort_transaction(TIMEOUT)
            return {tp.partition: tp.offset for tp in positions}

        unset = TopicPartition(src, 0).offset  # OFFSET_INVALID: nothing committed
        self.assertEqual(committed(), {0: unset, 1: unset})
        # round 1, committed: the group's offsets are the positions
        first = take(6)
        after_first = transform(first, commit=True)
        self.assertEqual(sum(after_first.values()), 6)
        want = {0: unset, 1: unset, **after_first}
        self.assertEqual(committed(), want)
        # round 2, aborted: the group's offsets stay
        second = take(6)
        transform(second, commit=False)
        self.assertEqual(committed(), want, "an aborted transaction moved the group's offsets")
        # rewind to the committed offsets, as a restarted member would, and redo everything
        for p in (0, 1):
            consumer.seek(TopicPartition(src, p, want[p] if want[p] >= 0 else 0))
        redone = []
        while len(redone) < 2 * per_partition - 6:
            batch = take(min(7, 2 * per_partition - 6 - len(redone)))
            transform(batch, commit=True)
            redone += batch
        self.assertEqual(committed(), {0: per_partition, 1: per_partition})
        again = {(m.partition(), m.offset()) for m in redone}
        self.assertTrue({(m.partition(), m.offset()) for m in second} <= again,
                        "the aborted round's records were processed again")
        self.assertEqual(len(again), len(redone))
        consumer.close()
        self.closers.remove(consumer.close)

        # the output: every input exactly once for read_committed, the aborted round's
        # records also for read_uncommitted
        self.produce(self.producer(), dst, [(0, "end-0"), (1, "end-1")])
        ends = self.seen("end-0", "end-1")
        out = [g for g in self.read_until(dst, 2, "read_committed", ends)
               if not g[2].startswith("end")]
        self.assertEqual(sorted(v for _, _, v in out),
                         sorted(f"IN-{p}-{i}" for p in (0, 1) for i in range(per_partition)))
        everything = [g for g in self.read_until(dst, 2, "read_uncommitted", ends)
                      if not g[2].startswith("end")]
        self.assertEqual(sorted(v for _, _, v in everything),
                         sorted([f"IN-{p}-{i}" for p in (0, 1) for i in range(per_partition)] +
                                [m.value().decode().upper() for m in second]),
                         f"read_uncommitted got {everything}; the output partitions hold "
                         f"{[layout(log_of(self.broker, dst, p)) for p in (0, 1)]}")

    # --- 3. fencing ----------------------------------------------------------------------------
    def test_a_second_instance_fences_the_first(self):
        topic = "txn-fence"
        self.create_topic(topic, 1)
        first = self.txn_producer("txn-fence-id")
        first.begin_transaction()
        self.assertEqual(self.produce(first, topic, [(0, "first-0")]), [(0, 0, "first-0")])
        second = self.txn_producer("txn-fence-id")  # aborts first's transaction: marker @1
        with self.assertRaises(KafkaException) as raised:
            first.commit_transaction(TIMEOUT)
        err = raised.exception.args[0]
        self.assertEqual((err.code(), err.fatal()), (KafkaError._FENCED, True), err)
        with self.assertRaises(KafkaException) as raised:
            first.begin_transaction()
        self.assertEqual(raised.exception.args[0].code(), KafkaError._FENCED)
        second.begin_transaction()
        self.assertEqual(self.produce(second, topic, [(0, "second-0")]), [(0, 2, "second-0")])
        second.commit_transaction(TIMEOUT)
        self.assertEqual(self.read_until(topic, 1, "read_committed", self.seen("second-0")),
                         [(0, 2, "second-0")])
        fetched = log_of(self.broker, topic, 0, read_committed=True)
        self.assertEqual(layout(fetched), [(0, "first-0"), (1, "abort"), (2, "second-0"),
                                           (3, "commit")])
        ids = self.producer_ids(topic, 1)
        pid, epoch = ids["first-0"]
        self.assertEqual(ids["second-0"][0], pid, "the same producer id")
        self.assertGreater(ids["second-0"][1], epoch, "a newer epoch")
        self.assertEqual(fetched["aborted"], [(pid, 0)])

    def test_the_partition_refuses_a_fenced_epoch_raw(self):
        """The fencing above at the byte level: after a second InitProducerId for the same
        transactional id, a Produce with the old epoch to a partition of the aborted
        transaction must be refused (INVALID_PRODUCER_EPOCH), not stored."""
        topic, tid = "txn-fence-raw", "txn-fence-raw-id"
        self.create_topic(topic, 1)
        conn = raw(self.broker)
        self.closers.append(conn.close)
        error, pid, epoch = conn.init_producer_id(tid)
        self.assertEqual((error, epoch), (NONE, 0))
        self.assertEqual(conn.add_partitions_to_txn(tid, pid, 0, topic, [0]), {0: NONE})

        def batch(value, epoch, seq):
            return record_batch([value], pid, epoch, seq, transactional=True)

        self.assertEqual(conn.produce(topic, 0, batch("old-0", 0, 0), transactional_id=tid),
                         (NONE, 0))
        error, same_pid, new_epoch = conn.init_producer_id(tid)  # a new instance
        self.assertEqual((error, same_pid), (NONE, pid))
        self.assertGreater(new_epoch, 0)
        answer = conn.produce(topic, 0, batch("old-1", 0, 1), transactional_id=tid)
        stored = layout(conn.fetch(topic, 0))
        self.assertEqual(answer, (INVALID_PRODUCER_EPOCH, -1),
                         f"Produce v3 of producer {pid} epoch 0 sequence 1 after "
                         f"InitProducerId gave epoch {new_epoch}: answered (error, base offset) "
                         f"{answer}; the partition holds {stored}")
        self.assertEqual(conn.end_txn(tid, pid, 0, True), INVALID_PRODUCER_EPOCH)
        self.assertEqual(conn.add_partitions_to_txn(tid, pid, new_epoch, topic, [0]), {0: NONE})
        error, base = conn.produce(topic, 0, batch("new-0", new_epoch, 0), transactional_id=tid)
        self.assertEqual(error, NONE)
        self.assertEqual(conn.end_txn(tid, pid, new_epoch, True), NONE)
        fetched = conn.fetch(topic, 0, read_committed=True)
        self.assertEqual(fetched["last_stable_offset"], fetched["high_watermark"])
        self.assertEqual(fetched["aborted"], [(pid, 0)])
        self.assertEqual(layout(fetched), [(0, "old-0"), (1, "abort"), (base, "new-0"),
                                           (base + 1, "commit")])

    def test_a_fenced_instance_cannot_write_to_its_transactions_partitions(self):
        """The fenced instance's next operation is a produce to a partition its (aborted)
        transaction had already added, so the client sends it without asking the coordinator:
        the partition itself must refuse the old epoch (Kafka writes the abort marker with the
        bumped epoch, and the partition fences older epochs from then on)."""
        topic = "txn-fence-produce"
        self.create_topic(topic, 1)
        first = self.txn_producer("txn-fence-produce-id")
        first.begin_transaction()
        self.assertEqual(self.produce(first, topic, [(0, "first-0")]), [(0, 0, "first-0")])
        second = self.txn_producer("txn-fence-produce-id")
        reports = []
        first.produce(topic, value=b"first-1", partition=0,
                      on_delivery=lambda e, m: reports.append((e, m.offset())))
        try:
            left = first.flush(TIMEOUT)
            raised = None
        except KafkaException as e:
            left, raised = None, e.args[0]
        stored = layout(log_of(self.broker, topic, 0))
        self.assertIsNotNone(
            raised,
            f"the fenced instance's produce (epoch 0, after the second instance's "
            f"InitProducerId bumped the epoch to 1) was accepted: flush left {left}, delivery "
            f"reports {reports}; the partition now holds {stored}")
        self.assertEqual((raised.code(), raised.fatal()), (KafkaError._FENCED, True), raised)
        second.begin_transaction()
        self.produce(second, topic, [(0, "second-0")])
        second.commit_transaction(TIMEOUT)
        self.assertEqual(
            [v for _, _, v in self.read_until(topic, 1, "read_committed", self.seen("second-0"))],
            ["second-0"])
        self.assertNotIn("first-1", [v for _, v in layout(log_of(self.broker, topic, 0))])

    # --- 4. transaction timeout -----------------------------------------------------------------
    def test_an_abandoned_transaction_is_aborted_after_its_timeout(self):
        topic = "txn-timeout"
        self.create_topic(topic, 1)
        other = self.txn_producer("txn-timeout-other")  # ready before the clock starts
        abandoned = self.txn_producer("txn-timeout-abandoned",
                                      **{"transaction.timeout.ms": 3000})
        abandoned.begin_transaction()
        self.assertEqual(self.produce(abandoned, topic, [(0, "lost-0"), (0, "lost-1")]),
                         [(0, 0, "lost-0"), (0, 1, "lost-1")])
        produced = time.monotonic()
        fetched = log_of(self.broker, topic, 0, read_committed=True)
        self.assertEqual((fetched["high_watermark"], fetched["last_stable_offset"]), (2, 0))
        other.begin_transaction()
        [(_, later_offset, _)] = self.produce(other, topic, [(0, "later")])
        other.commit_transaction(TIMEOUT)
        # abandoned: never committed, never aborted by its producer
        got = self.read_until(topic, 1, "read_committed", self.seen("later"), timeout=20)
        waited = time.monotonic() - produced
        self.assertEqual(got, [(0, later_offset, "later")])
        self.assertLess(waited, 3 + 1 + 5, "aborted within its timeout and a housekeeping round")
        pid = self.producer_ids(topic, 1)["lost-0"][0]
        fetched = log_of(self.broker, topic, 0, read_committed=True)
        self.assertEqual(fetched["aborted"], [(pid, 0)])
        aborts = [b for b in fetched["batches"] if b["control"] and b["producer_id"] == pid]
        self.assertEqual([b["values"] for b in aborts], [["abort"]])
        self.assertEqual(fetched["last_stable_offset"], fetched["high_watermark"])
        self.assertEqual(self.read_until(topic, 1, "read_uncommitted", self.seen("later")),
                         sorted([(0, 0, "lost-0"), (0, 1, "lost-1"),
                                 (0, later_offset, "later")]))
        # its producer was fenced by the abort: committing now fails
        with self.assertRaises(KafkaException) as raised:
            abandoned.commit_transaction(TIMEOUT)
        self.assertEqual(raised.exception.args[0].code(), KafkaError._FENCED)

    def test_a_producer_whose_transaction_timed_out_cannot_write_again(self):
        """After the broker aborted its transaction (and bumped its epoch), the abandoned
        producer sends one more record to the same partition (no AddPartitionsToTxn: the
        client thinks the partition is still in its transaction). Kafka refuses the old epoch;
        if it were stored it would open a transaction no coordinator knows of, holding the
        last stable offset, and so every later committed record from read_committed consumers,
        for ever."""
        topic = "txn-timeout-again"
        self.create_topic(topic, 1)
        other = self.txn_producer("txn-timeout-again-other")
        abandoned = self.txn_producer("txn-timeout-again-abandoned",
                                      **{"transaction.timeout.ms": 2000})
        abandoned.begin_transaction()
        self.produce(abandoned, topic, [(0, "lost-0")])
        pid = self.producer_ids(topic, 1)["lost-0"][0]
        wait_until(lambda: log_of(self.broker, topic, 0, True)["aborted"] == [(pid, 0)], 10,
                   "the broker to abort the abandoned transaction")
        reports = []
        abandoned.produce(topic, value=b"lost-1", partition=0,
                          on_delivery=lambda e, m: reports.append((e, m.offset())))
        try:
            abandoned.flush(TIMEOUT)
            raised = None
        except KafkaException as e:
            raised = e.args[0]
        other.begin_transaction()
        [(_, later_offset, _)] = self.produce(other, topic, [(0, "later")])
        other.commit_transaction(TIMEOUT)
        fetched = log_of(self.broker, topic, 0, read_committed=True)
        self.assertIsNotNone(
            raised,
            f"the timed-out producer's produce (old epoch) was accepted: delivery reports "
            f"{reports}; the log is now {layout(log_of(self.broker, topic, 0))}, high "
            f"watermark {fetched['high_watermark']}, last stable offset "
            f"{fetched['last_stable_offset']}")
        self.assertEqual(raised.code(), KafkaError._FENCED, raised)
        self.assertEqual(self.read_until(topic, 1, "read_committed", self.seen("later")),
                         [(0, later_offset, "later")])


# --- 5. kill -9 ------------------------------------------------------------------------------

class Crashes(Clients):
    def test_kill_between_produce_and_commit(self):
        topic = "crash-txn"
        self.create_topic(topic, 2)
        committer = self.txn_producer("crash-committer")
        committer.begin_transaction()
        self.assertEqual(self.produce(committer, topic, [(0, "before-0"), (1, "before-1")]),
                         [(0, 0, "before-0"), (1, 0, "before-1")])
        committer.commit_transaction(TIMEOUT)
        plain = self.producer()
        self.assertEqual(self.produce(plain, topic, [(0, "plain-0")]), [(0, 2, "plain-0")])
        doomed = self.txn_producer("crash-doomed", **{"transaction.timeout.ms": 5000})
        doomed.begin_transaction()
        self.assertEqual(self.produce(doomed, topic, [(0, "doomed-0"), (1, "doomed-1")]),
                         [(0, 3, "doomed-0"), (1, 2, "doomed-1")])
        started = time.monotonic()

        self.assertEqual(self.broker.crash(), -9)
        self.broker.restart()
        # right after the restart the transaction is still open: it holds the stable offset
        self.assertEqual([log_of(self.broker, topic, p, True)["last_stable_offset"]
                          for p in (0, 1)], [3, 2])
        # the committer (same client, reconnected) commits again; read_committed sees it
        # only once the doomed transaction is aborted by its timeout
        committer.begin_transaction()
        after = self.produce(committer, topic, [(0, "after-0"), (1, "after-1")])
        committer.commit_transaction(TIMEOUT)
        got = self.read_until(topic, 2, "read_committed", self.seen("after-0", "after-1"),
                              timeout=20)
        self.assertLess(time.monotonic() - started, 5 + 1 + 10)
        self.assertEqual(got, sorted([(0, 0, "before-0"), (1, 0, "before-1"),
                                      (0, 2, "plain-0")] + after))
        self.assertEqual(self.read_until(topic, 2, "read_uncommitted",
                                         self.seen("after-0", "after-1")),
                         sorted([(0, 0, "before-0"), (1, 0, "before-1"), (0, 2, "plain-0"),
                                 (0, 3, "doomed-0"), (1, 2, "doomed-1")] + after))
        pid = self.producer_ids(topic, 2)["doomed-0"][0]
        for part, first in ((0, 3), (1, 2)):
            fetched = log_of(self.broker, topic, part, read_committed=True)
            self.assertEqual(fetched["aborted"], [(pid, first)])
            self.assertEqual(fetched["last_stable_offset"], fetched["high_watermark"])
            self.assertEqual([b["values"] for b in fetched["batches"]
                              if b["control"] and b["producer_id"] == pid], [["abort"]])
        # and so it stays across another kill -9 (the aborted lists are kept)
        self.assertEqual(self.broker.crash(), -9)
        self.broker.restart()
        self.assertEqual(self.read_until(topic, 2, "read_committed",
                                         self.seen("after-0", "after-1")), got)

    def test_idempotent_batch_retried_across_kill(self):
        topic = "crash-idem"
        self.create_topic(topic, 1)
        conn = raw(self.broker)
        error, pid, epoch = conn.init_producer_id()
        self.assertEqual((error, epoch), (NONE, 0))
        self.assertGreaterEqual(pid, 0)

        def batch(first, count=5, epoch=0):
            return record_batch([f"idem-{first + i}" for i in range(count)], pid, epoch, first)

        for first in (0, 5, 10):
            self.assertEqual(conn.produce(topic, 0, batch(first)), (NONE, first))
        # a retry before the crash: the original offsets, nothing stored
        self.assertEqual(conn.produce(topic, 0, batch(5)), (NONE, 5))
        self.assertEqual(conn.fetch(topic, 0)["high_watermark"], 15)
        conn.close()

        self.assertEqual(self.broker.crash(), -9)
        self.broker.restart()
        conn = raw(self.broker)
        self.closers.append(conn.close)
        # retries of the last batch and of an older one, after the restart
        self.assertEqual(conn.produce(topic, 0, batch(10)), (NONE, 10))
        self.assertEqual(conn.produce(topic, 0, batch(0)), (NONE, 0))
        fetched = conn.fetch(topic, 0)
        self.assertEqual(fetched["high_watermark"], 15)
        self.assertEqual(layout(fetched), [(i, f"idem-{i}") for i in range(15)])
        # the next batch in sequence is stored; a gap is refused and not stored
        self.assertEqual(conn.produce(topic, 0, batch(15)), (NONE, 15))
        self.assertEqual(conn.produce(topic, 0, batch(25)), (OUT_OF_ORDER_SEQUENCE_NUMBER, -1))
        self.assertEqual(conn.fetch(topic, 0)["high_watermark"], 20)
        # a new epoch (KIP-360) starts at sequence 0; the old epoch is refused from then on
        error, same_pid, new_epoch = conn.bump_producer_epoch(pid, 0)
        self.assertEqual((error, same_pid, new_epoch), (NONE, pid, 1))
        self.assertEqual(conn.produce(topic, 0, batch(3, epoch=1)),
                         (OUT_OF_ORDER_SEQUENCE_NUMBER, -1))
        self.assertEqual(conn.produce(topic, 0, batch(0, epoch=1)), (NONE, 20))
        self.assertEqual(conn.produce(topic, 0, batch(20, epoch=0)), (INVALID_PRODUCER_EPOCH, -1))
        self.assertEqual(conn.produce(topic, 0, batch(0, epoch=1)), (NONE, 20))
        fetched = conn.fetch(topic, 0)
        self.assertEqual(fetched["high_watermark"], 25)
        self.assertEqual(layout(fetched), [(i, f"idem-{i}") for i in range(20)] +
                         [(20 + i, f"idem-{i}") for i in range(5)])
        self.assertEqual([(b["base_offset"], b["producer_id"], b["epoch"], b["base_sequence"])
                          for b in fetched["batches"]],
                         [(0, pid, 0, 0), (5, pid, 0, 5), (10, pid, 0, 10), (15, pid, 0, 15),
                          (20, pid, 1, 0)])


# --- 6. kafkajs ------------------------------------------------------------------------------

class KafkaJs(Clients):
    def test_kafkajs_idempotent_and_transactional_producers(self):
        stdout = run_kafkajs(self, self.broker, "transactions.js")
        for line in ("idempotent: 3 batches at offsets 0, 10, 20",
                     "read committed: only the committed records",
                     "fetchOffsets without topics: every topic the group committed"):
            self.assertIn(line, stdout)
        # the bytes kafkajs sent: an idempotent producer's batches, a transaction's markers
        batches = log_of(self.broker, "kjs-idem", 0)["batches"]
        self.assertEqual([(b["base_offset"], b["base_sequence"], b["epoch"]) for b in batches],
                         [(0, 0, 0), (10, 10, 0), (20, 20, 0)])
        self.assertGreaterEqual(batches[0]["producer_id"], 0)
        self.assertEqual(len({b["producer_id"] for b in batches}), 1)
        for part in (0, 1):
            fetched = log_of(self.broker, "kjs-tx", part, read_committed=True)
            self.assertEqual([w for _, w in layout(fetched)],
                             [f"c{part}", "commit", f"a{part}", "abort", f"c{part + 2}",
                              "commit"])
            pid = fetched["batches"][0]["producer_id"]
            self.assertEqual(fetched["aborted"], [(pid, 2)])


# --- 7. kafka-python --------------------------------------------------------------------------

class KafkaPython(Clients):
    def test_list_consumer_group_offsets_without_partitions(self):
        from kafka import KafkaAdminClient, KafkaConsumer
        from kafka import TopicPartition as KTopicPartition
        from kafka.structs import OffsetAndMetadata

        self.create_topic("kp-offsets-a", 3)
        self.create_topic("kp-offsets-b", 1)
        self.create_topic("kp-offsets-unrelated", 1)
        commits = {KTopicPartition("kp-offsets-a", 0): OffsetAndMetadata(3, "first"),
                   KTopicPartition("kp-offsets-a", 2): OffsetAndMetadata(7, ""),
                   KTopicPartition("kp-offsets-b", 0): OffsetAndMetadata(1, "only")}
        consumer = KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id="kp-offsets",
                                 enable_auto_commit=False, request_timeout_ms=11000,
                                 api_version_auto_timeout_ms=10000)
        self.closers.append(consumer.close)
        consumer.commit(commits)
        admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap,
                                 request_timeout_ms=10000, api_version_auto_timeout_ms=10000)
        self.closers.append(admin.close)
        listed = admin.list_consumer_group_offsets("kp-offsets")
        self.assertEqual({tp: (o.offset, o.metadata) for tp, o in listed.items()},
                         {tp: (o.offset, o.metadata) for tp, o in commits.items()})
        # with partitions: those asked for (one never committed: -1)
        asked = [KTopicPartition("kp-offsets-a", 0), KTopicPartition("kp-offsets-a", 1)]
        listed = admin.list_consumer_group_offsets("kp-offsets", partitions=asked)
        self.assertEqual({tp: o.offset for tp, o in listed.items()},
                         {asked[0]: 3, asked[1]: -1})
        self.assertEqual(admin.list_consumer_group_offsets("kp-never-committed"), {})


if __name__ == "__main__":
    rivulet_broker.main()
