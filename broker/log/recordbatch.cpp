#include "recordbatch.h"

#include "bytes.h"
#include "compression.h"
#include "crc32c.h"
#include "varint.h"

#include <cstring>

namespace rivulet {
namespace {

// memcpy with a null source is undefined even for 0 bytes, and an empty view's data() may be
// null (found by fuzz_native_request: a native Produce of an empty value)
char *copyBytes(char *to, QByteArrayView bytes)
{
    if (!bytes.isEmpty())
        std::memcpy(to, bytes.data(), std::size_t(bytes.size()));
    return to + bytes.size();
}

// A batch's base offset or timestamp plus a record's delta, wrapping: a batch being validated
// may hold any values, and a signed overflow is undefined (found by fuzz_record_batch: base
// offset INT64_MAX, offset delta 1). validate() turns a wrapped offset back into its delta.
std::int64_t wrappingAdd(std::int64_t a, std::int64_t b)
{
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

std::int64_t wrappingSub(std::int64_t a, std::int64_t b)
{
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

} // namespace

std::optional<std::int64_t> RecordBatchView::sizeAt(const char *data, std::size_t available)
{
    if (available < static_cast<std::size_t>(batch::kLogOverhead))
        return std::nullopt;
    return std::int64_t(batch::kLogOverhead) + be::readI32(data + batch::kBatchLength);
}

RecordBatchView::Check RecordBatchView::validate(bool records, QString *detail) const
{
    if (m_bytes.size() < batch::kHeaderSize)
        return Check::Truncated;
    const auto declared = sizeAt(m_bytes.data(), m_bytes.size());
    if (*declared < batch::kHeaderSize)
        return Check::BadLength;
    if (*declared > m_bytes.size())
        return Check::Truncated;
    if (*declared != m_bytes.size())
        return Check::BadLength;
    if (m_bytes[batch::kMagic] != 2)
        return Check::BadMagic;
    if (storedCrc() != computeCrc())
        return Check::BadCrc;
    if (recordCount() < 0 || lastOffsetDelta() < 0)
        return Check::BadRecords;
    if (!records)
        return Check::Ok;
    // Kafka's LogValidator: a batch's offset range is its record count. A delta larger than
    // the count would move the partition's end past offsets nobody holds (two such batches
    // took a partition past the native protocol's 2^32 for good).
    if (recordCount() < 1 || std::int64_t(lastOffsetDelta()) + 1 != recordCount())
        return Check::BadOffsetRange;
    const QByteArrayView section = m_bytes.sliced(batch::kHeaderSize);
    if (compression() == 0) {
        if (section.size() > compression::maxInflatedBytes()) {
            if (detail)
                *detail = QStringLiteral("%1 bytes of records, more than %2 (the maximum message "
                                         "size, --max-message-bytes)")
                              .arg(section.size())
                              .arg(compression::maxInflatedBytes());
            return Check::TooLarge;
        }
        return recordsMatchHeader(section.data(), section.data() + section.size())
                   ? Check::Ok
                   : Check::BadRecords;
    }
    QByteArray inflated;
    QString why;
    bool tooLarge = false;
    if (!compression::decompress(compression(), section, inflated, why, -1, &tooLarge)) {
        if (detail)
            *detail = why;
        return tooLarge ? Check::TooLarge : Check::BadCompression;
    }
    return recordsMatchHeader(inflated.constData(), inflated.constData() + inflated.size())
               ? Check::Ok
               : Check::BadRecords;
}

bool RecordBatchView::recordsMatchHeader(const char *p, const char *end) const
{
    for (std::int32_t i = 0; i < recordCount(); ++i) {
        RecordView record;
        if (!decodeRecord(p, end, record) || wrappingSub(record.offset, baseOffset()) != i)
            return false;
    }
    return p == end;
}

const char *RecordBatchView::describe(Check check)
{
    switch (check) {
    case Check::Ok:
        return "ok";
    case Check::Truncated:
        return "truncated batch";
    case Check::BadLength:
        return "batch length does not match";
    case Check::BadMagic:
        return "unsupported magic byte (only RecordBatch v2 is accepted)";
    case Check::BadCrc:
        return "CRC-32C mismatch";
    case Check::BadRecords:
        return "malformed records";
    case Check::BadOffsetRange:
        return "lastOffsetDelta does not match the record count";
    case Check::BadCompression:
        return "the records cannot be decompressed";
    case Check::TooLarge:
        return "the records are larger than the maximum message size";
    }
    return "unknown";
}

std::int64_t RecordBatchView::baseOffset() const
{
    return be::readI64(m_bytes.data() + batch::kBaseOffset);
}

std::int32_t RecordBatchView::lastOffsetDelta() const
{
    return be::readI32(m_bytes.data() + batch::kLastOffsetDelta);
}

std::int32_t RecordBatchView::recordCount() const
{
    return be::readI32(m_bytes.data() + batch::kRecordCount);
}

std::int16_t RecordBatchView::attributes() const
{
    return be::readI16(m_bytes.data() + batch::kAttributes);
}

std::int64_t RecordBatchView::baseTimestamp() const
{
    return be::readI64(m_bytes.data() + batch::kBaseTimestamp);
}

std::int64_t RecordBatchView::maxTimestamp() const
{
    return be::readI64(m_bytes.data() + batch::kMaxTimestamp);
}

std::uint32_t RecordBatchView::storedCrc() const
{
    return be::readU32(m_bytes.data() + batch::kCrc);
}

std::uint32_t RecordBatchView::computeCrc() const
{
    return crc32c(m_bytes.data() + batch::kAttributes, m_bytes.size() - batch::kAttributes);
}

bool RecordBatchView::decompressRecords(QByteArray &out, QString *error) const
{
    QString why;
    const QByteArrayView records = m_bytes.sliced(batch::kHeaderSize);
    if (compression() == 0) {
        out = records.toByteArray();
        return true;
    }
    if (compression::decompress(compression(), records, out, why))
        return true;
    if (error)
        *error = why;
    return false;
}

void RecordBatchView::setBaseOffset(char *batchStart, std::int64_t baseOffset)
{
    be::writeU64(batchStart + batch::kBaseOffset, static_cast<std::uint64_t>(baseOffset));
}

bool RecordBatchView::decodeRecord(const char *&p, const char *end, RecordView &out) const
{
    std::int64_t length = 0;
    if (!varint::read(p, end, length) || length < 0 || length > end - p)
        return false;
    const char *recordEnd = p + length;
    if (p >= recordEnd)
        return false;
    ++p; // attributes, unused in magic 2
    std::int64_t timestampDelta = 0, offsetDelta = 0, keyLength = 0, valueLength = 0,
                 headerCount = 0;
    if (!varint::read(p, recordEnd, timestampDelta) || !varint::read(p, recordEnd, offsetDelta))
        return false;
    if (!varint::read(p, recordEnd, keyLength) || keyLength < -1 || keyLength > recordEnd - p)
        return false;
    out.hasKey = keyLength >= 0;
    out.key = out.hasKey ? QByteArrayView(p, keyLength) : QByteArrayView();
    p += out.hasKey ? keyLength : 0;
    if (!varint::read(p, recordEnd, valueLength) || valueLength < -1 || valueLength > recordEnd - p)
        return false;
    // A null value (Kafka tombstone) reads as an empty value with hasValue false.
    out.hasValue = valueLength >= 0;
    out.value = valueLength > 0 ? QByteArrayView(p, valueLength) : QByteArrayView();
    p += valueLength > 0 ? valueLength : 0;
    if (!varint::read(p, recordEnd, headerCount) || headerCount < 0 || headerCount > recordEnd - p)
        return false;
    out.headerCount = static_cast<std::int32_t>(headerCount);
    out.headerBytes = QByteArrayView(p, recordEnd - p);
    out.offset = wrappingAdd(baseOffset(), offsetDelta);
    out.timestamp = wrappingAdd(baseTimestamp(), timestampDelta);
    p = recordEnd;
    return true;
}

bool decodeHeader(const char *&p, const char *end, HeaderView &out)
{
    std::int64_t nameLength = 0, valueLength = 0;
    if (!varint::read(p, end, nameLength) || nameLength < 0 || nameLength > end - p)
        return false;
    out.name = QByteArrayView(p, nameLength);
    p += nameLength;
    if (!varint::read(p, end, valueLength) || valueLength < -1 || valueLength > end - p)
        return false;
    out.hasValue = valueLength >= 0;
    out.value = valueLength > 0 ? QByteArrayView(p, valueLength) : QByteArrayView();
    p += valueLength > 0 ? valueLength : 0;
    return true;
}

RecordBatchBuilder::RecordBatchBuilder(std::int64_t timestampMs, int expectedRecords,
                                       std::size_t expectedValueBytes)
    : m_timestamp(timestampMs), m_maxTimestamp(timestampMs)
{
    m_buffer.reserve(batch::kHeaderSize + qsizetype(expectedValueBytes) + expectedRecords * 12);
    m_buffer.resize(batch::kHeaderSize);
}

namespace {

std::int64_t lengthOf(const std::optional<QByteArrayView> &bytes)
{
    return bytes ? bytes->size() : -1;
}

std::optional<QByteArrayView> valueOf(const HeaderView &h)
{
    return h.hasValue ? std::optional<QByteArrayView>(h.value) : std::nullopt;
}

} // namespace

void RecordBatchBuilder::writeRecord(std::int64_t timestampDelta, std::optional<QByteArrayView> key,
                                     std::optional<QByteArrayView> value,
                                     std::span<const HeaderView> headers)
{
    qsizetype body = 1 + varint::encodedSize(timestampDelta) + varint::encodedSize(m_count) +
                     varint::encodedSize(lengthOf(key)) + (key ? key->size() : 0) +
                     varint::encodedSize(lengthOf(value)) + (value ? value->size() : 0) +
                     varint::encodedSize(qsizetype(headers.size()));
    for (const HeaderView &h : headers) {
        const std::optional<QByteArrayView> v = valueOf(h);
        body += varint::encodedSize(h.name.size()) + h.name.size() +
                varint::encodedSize(lengthOf(v)) + (v ? v->size() : 0);
    }

    const qsizetype start = m_buffer.size();
    m_buffer.resize(start + varint::encodedSize(body) + body);
    char *p = m_buffer.data() + start;
    p = varint::write(p, body);
    *p++ = 0; // attributes
    p = varint::write(p, timestampDelta);
    p = varint::write(p, m_count);
    p = varint::write(p, lengthOf(key));
    if (key)
        p = copyBytes(p, *key);
    p = varint::write(p, lengthOf(value));
    if (value)
        p = copyBytes(p, *value);
    p = varint::write(p, qsizetype(headers.size()));
    for (const HeaderView &h : headers) {
        const std::optional<QByteArrayView> v = valueOf(h);
        p = varint::write(p, h.name.size());
        p = copyBytes(p, h.name);
        p = varint::write(p, lengthOf(v));
        if (v)
            p = copyBytes(p, *v);
    }
    ++m_count;
}

void RecordBatchBuilder::appendRecord(std::optional<QByteArrayView> key,
                                      std::optional<QByteArrayView> value,
                                      std::span<const HeaderView> headers)
{
    writeRecord(0, key, value, headers);
}

bool RecordBatchBuilder::append(std::int64_t timestampMs, std::optional<QByteArrayView> key,
                                std::optional<QByteArrayView> value,
                                std::span<const HeaderView> headers)
{
    if (timestampMs < m_timestamp)
        return false;
    writeRecord(timestampMs - m_timestamp, key, value, headers);
    m_maxTimestamp = std::max(m_maxTimestamp, timestampMs);
    return true;
}

QByteArray RecordBatchBuilder::controlBatch(std::int64_t producerId, std::int16_t epoch,
                                            bool commit, std::int64_t timestampMs)
{
    RecordBatchBuilder builder(timestampMs, 1);
    const char key[4] = {0, 0, 0, char(commit ? 1 : 0)}; // version 0, type
    const char value[6] = {0, 0, 0, 0, 0, 0};            // version 0, coordinator epoch 0
    builder.append(QByteArrayView(key, 4), QByteArrayView(value, 6), {});
    QByteArray b = builder.finish();
    char *h = b.data();
    be::writeU16(h + batch::kAttributes, std::uint16_t(batch::kTransactional | batch::kControl));
    be::writeU64(h + batch::kProducerId, std::uint64_t(producerId));
    be::writeU16(h + batch::kProducerEpoch, std::uint16_t(epoch));
    be::writeU32(h + batch::kCrc, crc32c(h + batch::kAttributes, b.size() - batch::kAttributes));
    return b;
}

QByteArray RecordBatchBuilder::finish()
{
    char *h = m_buffer.data();
    be::writeU64(h + batch::kBaseOffset, 0);
    be::writeU32(h + batch::kBatchLength, std::uint32_t(m_buffer.size() - batch::kLogOverhead));
    be::writeU32(h + batch::kLeaderEpoch, 0);
    h[batch::kMagic] = 2;
    be::writeU16(h + batch::kAttributes, 0);
    be::writeU32(h + batch::kLastOffsetDelta, std::uint32_t(m_count > 0 ? m_count - 1 : 0));
    be::writeU64(h + batch::kBaseTimestamp, std::uint64_t(m_timestamp));
    be::writeU64(h + batch::kMaxTimestamp, std::uint64_t(m_maxTimestamp));
    be::writeU64(h + batch::kProducerId, std::uint64_t(-1));
    be::writeU16(h + batch::kProducerEpoch, std::uint16_t(-1));
    be::writeU32(h + batch::kBaseSequence, std::uint32_t(-1));
    be::writeU32(h + batch::kRecordCount, std::uint32_t(m_count));
    be::writeU32(h + batch::kCrc,
                 crc32c(h + batch::kAttributes, m_buffer.size() - batch::kAttributes));
    QByteArray result = std::move(m_buffer);
    m_buffer = QByteArray();
    m_buffer.resize(batch::kHeaderSize);
    m_count = 0;
    m_maxTimestamp = m_timestamp;
    return result;
}

} // namespace rivulet
