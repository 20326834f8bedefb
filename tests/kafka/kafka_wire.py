"""The Kafka wire protocol in raw bytes (stdlib socket and struct), for the tests that check
what a client library cannot show or does not send: every version of an API, byte-level facts
of record batches (producer ids, sequences, markers), answers read to their last byte.

- W and R: an encoder and a decoder of the classic and the flexible (compact, KIP-482)
  primitives; the request's version picks the encoding (body(), FIRST_FLEXIBLE).
- Connection: requests framed with header v1 (v2 when flexible), each answer read whole and
  matched to its request by correlation id.
- CRC-32C, record_batch() building a RecordBatch (magic 2, uncompressed) as a producer sends
  it, fetch() (Fetch v4 of one partition) and batches() reading the RecordBatches it returns.
"""

import socket
import struct
import time

TIMEOUT = 10.0  # seconds a connection waits for the broker

# API keys
PRODUCE, FETCH, METADATA, API_VERSIONS = 0, 1, 3, 18
DELETE_RECORDS, INIT_PRODUCER_ID, ADD_PARTITIONS_TO_TXN, END_TXN = 21, 22, 24, 26
DESCRIBE_ACLS, CREATE_ACLS, DELETE_ACLS = 29, 30, 31
DESCRIBE_LOG_DIRS, CREATE_PARTITIONS, ELECT_LEADERS = 35, 37, 43
ALTER_PARTITION_REASSIGNMENTS, LIST_PARTITION_REASSIGNMENTS, DESCRIBE_CLIENT_QUOTAS = 45, 46, 48

# the first flexible version of each (Kafka 3.9's, as in broker/kafka/schema/*.api)
FIRST_FLEXIBLE = {PRODUCE: 9, FETCH: 12, METADATA: 9, API_VERSIONS: 3, DELETE_RECORDS: 2,
                  INIT_PRODUCER_ID: 2, ADD_PARTITIONS_TO_TXN: 3, END_TXN: 3, DESCRIBE_ACLS: 2,
                  CREATE_ACLS: 2, DELETE_ACLS: 2, DESCRIBE_LOG_DIRS: 2, CREATE_PARTITIONS: 2,
                  ELECT_LEADERS: 2, ALTER_PARTITION_REASSIGNMENTS: 0,
                  LIST_PARTITION_REASSIGNMENTS: 0, DESCRIBE_CLIENT_QUOTAS: 1}

# RecordBatch attributes
ATTR_CODEC = 0x07
ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20


def flexible(key, version):
    return version >= FIRST_FLEXIBLE[key]


# -- primitives ----------------------------------------------------------------------------------
class W:
    """Writes a message in the classic or the flexible encoding; every method returns self."""

    def __init__(self, flexible=False):
        self.b = bytearray()
        self.flex = flexible

    def __bytes__(self):
        return bytes(self.b)

    def pack(self, fmt, *values):
        self.b += struct.pack(fmt, *values)
        return self

    def raw(self, data):
        self.b += data
        return self

    def i8(self, v):
        return self.pack(">b", v)

    def i16(self, v):
        return self.pack(">h", v)

    def i32(self, v):
        return self.pack(">i", v)

    def i64(self, v):
        return self.pack(">q", v)

    def uvarint(self, v):
        while v >= 0x80:
            self.b.append((v & 0x7F) | 0x80)
            v >>= 7
        self.b.append(v)
        return self

    def varint(self, v):
        """A signed varint (zigzag), as in records."""
        return self.uvarint((v << 1) ^ (v >> 63))

    def string(self, s):
        """A string, or null for None (nullable strings)."""
        if s is None:
            return self.uvarint(0) if self.flex else self.i16(-1)
        data = s.encode()
        if self.flex:
            self.uvarint(len(data) + 1)
        else:
            self.i16(len(data))
        return self.raw(data)

    def array(self, items, each):
        """An array whose elements each(w, item) writes, or null for None."""
        if items is None:
            return self.uvarint(0) if self.flex else self.i32(-1)
        if self.flex:
            self.uvarint(len(items) + 1)
        else:
            self.i32(len(items))
        for item in items:
            each(self, item)
        return self

    def int32s(self, items):
        return self.array(items, W.i32)

    def tags(self):
        """The end of a struct: no tagged fields (flexible versions only)."""
        return self.uvarint(0) if self.flex else self


def body(key, version):
    """A W for the body of a request of API key at version, in that version's encoding."""
    return W(flexible(key, version))


class R:
    """Reads a message in the classic or the flexible encoding."""

    def __init__(self, data, flexible=False):
        self.d = bytes(data)
        self.p = 0
        self.flex = flexible

    def raw(self, n):
        if self.p + n > len(self.d):
            raise AssertionError(f"answer ends early: {n} bytes wanted at {self.p} of "
                                 f"{len(self.d)}: {self.d.hex()}")
        out = self.d[self.p:self.p + n]
        self.p += n
        return out

    def take(self, fmt):
        """The values of a struct format: one value, or a tuple of several."""
        values = struct.unpack(fmt, self.raw(struct.calcsize(fmt)))
        return values if len(values) > 1 else values[0]

    def i8(self):
        return self.take(">b")

    def i16(self):
        return self.take(">h")

    def i32(self):
        return self.take(">i")

    def i64(self):
        return self.take(">q")

    def f64(self):
        return self.take(">d")

    def boolean(self):
        return self.raw(1) != b"\x00"

    def uvarint(self):
        shift = value = 0
        while True:
            byte = self.raw(1)[0]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    def varint(self):
        """A signed varint (zigzag), as in records."""
        z = self.uvarint()
        return (z >> 1) ^ -(z & 1)

    def varbytes(self):
        """Bytes with a varint length, or None (a record's key, value, header value)."""
        n = self.varint()
        return None if n < 0 else self.raw(n)

    def string(self):
        n = self.uvarint() - 1 if self.flex else self.i16()
        return None if n < 0 else self.raw(n).decode()

    def bytes_(self):
        n = self.uvarint() - 1 if self.flex else self.i32()
        return None if n < 0 else self.raw(n)

    def array(self, each):
        n = self.uvarint() - 1 if self.flex else self.i32()
        return None if n < 0 else [each(self) for _ in range(n)]

    def int32s(self):
        return self.array(R.i32)

    def tags(self):
        """The end of a struct: its tagged fields, skipped (flexible versions only)."""
        if self.flex:
            for _ in range(self.uvarint()):
                self.uvarint()
                self.raw(self.uvarint())

    def fields(self, *readers):
        """A struct: the tuple of what each reader(r) reads in turn, then its tagged fields."""
        out = tuple(read(self) for read in readers)
        self.tags()
        return out

    def end(self):
        if self.p != len(self.d):
            raise AssertionError(f"{len(self.d) - self.p} bytes left over after the answer: "
                                 f"{self.d[self.p:].hex()}")


# -- requests ------------------------------------------------------------------------------------
def recv_exactly(sock, n):
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise AssertionError("the broker closed the connection")
        out += chunk
    return bytes(out)


class Connection:
    """One Kafka connection speaking raw requests, one at a time."""

    def __init__(self, host, port, client_id, timeout=TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.client_id = client_id
        self.correlation = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, key, version, request):
        """Sends a request (request: a W in the version's encoding, see body()) and returns an
        R positioned at the answer's body, in the same encoding."""
        flex = flexible(key, version)
        assert request.flex == flex, f"API {key} v{version} body in the wrong encoding"
        self.correlation += 1
        header = W(False).i16(key).i16(version).i32(self.correlation).string(self.client_id)
        if flex:
            header.uvarint(0)  # request header v2: no tagged fields
        frame = bytes(header) + bytes(request)
        self.sock.sendall(struct.pack(">i", len(frame)) + frame)
        (size,) = struct.unpack(">i", recv_exactly(self.sock, 4))
        r = R(recv_exactly(self.sock, size), flex)
        correlation = r.i32()
        assert correlation == self.correlation, \
            f"answer to request {correlation}, not to {self.correlation}"
        if flex and key != API_VERSIONS:  # ApiVersions answers with response header v0
            r.tags()
        return r


# -- record batches ------------------------------------------------------------------------------
def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def record_batch(values, producer_id=-1, epoch=-1, base_sequence=-1, transactional=False,
                 timestamp_ms=None):
    """A RecordBatch (magic 2, uncompressed) of values, as a producer sends it (base offset 0),
    with the producer fields and a CRC-32C."""
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    records = W()
    for i, v in enumerate(values):
        v = v.encode()
        # attributes, timestamp delta, offset delta, key (null), value, headers (none)
        record = W().i8(0).varint(0).varint(i).varint(-1).varint(len(v)).raw(v).varint(0)
        records.varint(len(record.b)).raw(record.b)
    attributes = ATTR_TRANSACTIONAL if transactional else 0
    after_crc = W().pack(">hiqqqhii", attributes, len(values) - 1, ts, ts, producer_id, epoch,
                         base_sequence, len(values)).raw(records.b)
    after_length = W().pack(">ibI", -1, 2, crc32c(after_crc.b)).raw(after_crc.b)
    return bytes(W().pack(">qi", 0, len(after_length.b)).raw(after_length.b))


def fetch(conn, topic, partition, offset=0, read_committed=False, max_wait_ms=0, min_bytes=1,
          max_bytes=8 << 20):
    """Fetch v4 of one partition (max_bytes for the answer and for the partition):
    {topic, partition, error, high_watermark, last_stable_offset, aborted: [(producer id,
    first offset)] sorted, records: the bytes of the record batches}."""
    w = W().i32(-1).i32(max_wait_ms).i32(min_bytes).i32(max_bytes)  # replica, wait, min, max
    w.i8(1 if read_committed else 0)
    w.array([topic], lambda w, t: w.string(t).array(
        [partition], lambda w, p: w.i32(p).i64(offset).i32(max_bytes)))
    r = conn.call(FETCH, 4, w)
    r.i32()  # throttle_time_ms

    def answer(r):
        # dict displays are evaluated in order: the fields as they stand
        return {"partition": r.i32(), "error": r.i16(), "high_watermark": r.i64(),
                "last_stable_offset": r.i64(),
                "aborted": sorted(r.array(lambda r: (r.i64(), r.i64())) or []),
                "records": r.bytes_() or b""}
    ((name, (out,)),) = r.array(lambda r: (r.string(), r.array(answer)))
    r.end()
    assert (name, out["partition"]) == (topic, partition), (name, out["partition"])
    out["topic"] = name
    return out


def _record_value(r, control):
    """One record of an uncompressed batch: its value (str or None), or 'abort'/'commit' for
    a control record."""
    r.varint()  # length
    r.i8()  # attributes
    r.varint()  # timestamp delta
    r.varint()  # offset delta
    key = r.varbytes()
    value = r.varbytes()
    for _ in range(r.varint()):  # headers
        r.raw(r.varint())
        r.varbytes()
    if control:
        _version, kind = struct.unpack(">hh", key)
        return {0: "abort", 1: "commit"}.get(kind, f"control {kind}")
    return value.decode() if value is not None else None


def batches(records):
    """The whole RecordBatches (magic 2) in the records of a Fetch answer, each checked against
    its CRC-32C, a partial batch at the end left out: [{base_offset, last_offset, attributes,
    producer_id, epoch, base_sequence, count, control, transactional, values}], values being
    those of the records if the batch is uncompressed ('abort'/'commit' for a control batch's
    record), None if it is compressed."""
    out = []
    at = 0
    while at + 61 <= len(records):
        base, length = struct.unpack_from(">qi", records, at)
        if at + 12 + length > len(records):
            break  # a partial batch at the end of the answer
        r = R(records[at + 12:at + 12 + length])
        _leader_epoch, magic, crc = r.take(">ibI")
        if magic != 2:
            raise AssertionError(f"batch at offset {base}: magic {magic}")
        if crc != crc32c(records[at + 21:at + 12 + length]):
            raise AssertionError(f"batch at offset {base}: CRC-32C mismatch")
        attributes, last_delta, _ts, _max_ts, pid, epoch, seq, count = r.take(">hiqqqhii")
        control = bool(attributes & ATTR_CONTROL)
        values = (None if attributes & ATTR_CODEC else
                  [_record_value(r, control) for _ in range(count)])
        out.append({"base_offset": base, "last_offset": base + last_delta,
                    "attributes": attributes, "producer_id": pid, "epoch": epoch,
                    "base_sequence": seq, "count": count, "control": control,
                    "transactional": bool(attributes & ATTR_TRANSACTIONAL), "values": values})
        at += 12 + length
    return out
