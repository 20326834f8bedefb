#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>
#include <optional>
#include <span>

namespace rivulet {

// One record of a batch, pointing into the batch's bytes. Header bytes are kept raw and
// decoded on demand with forEachHeader(), since most readers never look at them.
struct RecordView
{
    std::int64_t offset = 0;
    std::int64_t timestamp = 0;
    bool hasKey = false;
    QByteArrayView key;
    bool hasValue = true; // false: a null value (a Kafka tombstone); value is then empty
    QByteArrayView value;
    std::int32_t headerCount = 0;
    QByteArrayView headerBytes;
};

struct HeaderView
{
    QByteArrayView name;
    QByteArrayView value;
    bool hasValue = true; // false: a null header value; value is then empty
};

// Kafka's RecordBatch, magic 2: the unit the log stores and both protocols read.
// Layout and CRC rules: docs/ARCHITECTURE.md and ../shared/kafka-compat.md.
namespace batch {
constexpr int kBaseOffset = 0;
constexpr int kBatchLength = 8;
constexpr int kLeaderEpoch = 12;
constexpr int kMagic = 16;
constexpr int kCrc = 17;
constexpr int kAttributes = 21;
constexpr int kLastOffsetDelta = 23;
constexpr int kBaseTimestamp = 27;
constexpr int kMaxTimestamp = 35;
constexpr int kProducerId = 43;
constexpr int kProducerEpoch = 51;
constexpr int kBaseSequence = 53;
constexpr int kRecordCount = 57;
constexpr int kHeaderSize = 61;
// bytes before batchLength's count starts: baseOffset + batchLength
constexpr int kLogOverhead = 12;
constexpr int kCompressionMask = 0x07;
constexpr int kTransactional = 0x10;
constexpr int kControl = 0x20;
} // namespace batch

class RecordBatchView
{
public:
    enum class Check
    {
        Ok,
        Truncated,
        BadLength,
        BadMagic,
        BadCrc,
        BadRecords,
        BadOffsetRange, // lastOffsetDelta disagrees with the record count (Kafka: INVALID_RECORD)
        BadCompression, // the records cannot be decompressed (Kafka: CORRUPT_MESSAGE)
        TooLarge,       // the records, uncompressed, pass compression::maxInflatedBytes()
    };

    explicit RecordBatchView(QByteArrayView bytes) : m_bytes(bytes) {}

    // Total size of the batch that starts at data, read from its header, or nullopt when
    // fewer than 12 bytes are there. The size may be nonsense for garbage; validate() says.
    static std::optional<std::int64_t> sizeAt(const char *data, std::size_t available);

    // Framing, magic and CRC; with records=true also Kafka's produce-time checks: at least one
    // record, lastOffsetDelta = recordCount - 1, the records (decompressed first, with the
    // bound of compression::maxInflatedBytes(), which also bounds an uncompressed batch's
    // records) parse, and their offset deltas are 0, 1, 2... detail, if given, gets the
    // codec's reason for BadCompression and TooLarge.
    Check validate(bool records, QString *detail = nullptr) const;
    static const char *describe(Check check);

    std::int64_t baseOffset() const;
    std::int32_t lastOffsetDelta() const;
    // wrapping: an unchecked batch may hold any base offset (a signed overflow is undefined)
    std::int64_t lastOffset() const
    {
        return static_cast<std::int64_t>(static_cast<std::uint64_t>(baseOffset()) +
                                         static_cast<std::uint64_t>(lastOffsetDelta()));
    }
    std::int32_t recordCount() const;
    std::int16_t attributes() const;
    int compression() const { return attributes() & batch::kCompressionMask; }
    bool isTransactional() const { return attributes() & batch::kTransactional; }
    // A transaction marker (commit or abort), not records anyone produced.
    bool isControl() const { return attributes() & batch::kControl; }
    std::int64_t baseTimestamp() const;
    std::int64_t maxTimestamp() const;
    std::uint32_t storedCrc() const;
    std::uint32_t computeCrc() const;
    QByteArrayView bytes() const { return m_bytes; }

    // Calls f(const RecordView&) for every record with offset >= fromOffset until f returns
    // false; compressed batches are decompressed first (the views then point into a buffer
    // that lives for the call), never past compression::maxInflatedBytes(). Returns false if
    // the records are malformed or cannot be decompressed (why in error, if given), true
    // otherwise.
    template <typename F>
    bool forEachRecord(std::int64_t fromOffset, F &&f, QString *error = nullptr) const;
    // The records section, decompressed; false (and why) when it cannot be.
    bool decompressRecords(QByteArray &out, QString *error = nullptr) const;

    static void setBaseOffset(char *batchStart, std::int64_t baseOffset);

private:
    bool decodeRecord(const char *&p, const char *end, RecordView &out) const;
    // the records of [p, end) against the header: count, and offset deltas 0, 1, 2...
    bool recordsMatchHeader(const char *p, const char *end) const;

    QByteArrayView m_bytes;
};

// Calls f(HeaderView) per header; false if the header bytes are malformed.
template <typename F> bool forEachHeader(const RecordView &record, F &&f);
bool decodeHeader(const char *&p, const char *end, HeaderView &out);

// Builds an uncompressed magic-2 batch with baseOffset 0 (the log assigns the real one).
class RecordBatchBuilder
{
public:
    explicit RecordBatchBuilder(std::int64_t timestampMs, int expectedRecords = 0,
                                std::size_t expectedValueBytes = 0);

    void append(QByteArrayView value) { append(std::nullopt, value, {}); }
    void append(std::optional<QByteArrayView> key, QByteArrayView value,
                std::span<const HeaderView> headers)
    {
        appendRecord(key, value, headers);
    }
    // The same with a value that may be null (a tombstone); headers without hasValue get a
    // null value.
    void appendRecord(std::optional<QByteArrayView> key, std::optional<QByteArrayView> value,
                      std::span<const HeaderView> headers);
    // A record with a timestamp of its own (ms), nulls kept as above. For imports that keep
    // each record's time. The batch's first timestamp is the constructor's; a record older
    // than it is refused (false): start another batch for it.
    bool append(std::int64_t timestampMs, std::optional<QByteArrayView> key,
                std::optional<QByteArrayView> value, std::span<const HeaderView> headers);
    int count() const { return m_count; }
    // Finishes the header and CRC; the builder is empty afterwards.
    QByteArray finish();
    // A transaction marker: a control batch of producerId/epoch holding one record whose key
    // says commit or abort (Kafka's EndTransactionMarker, coordinator epoch 0).
    static QByteArray controlBatch(std::int64_t producerId, std::int16_t epoch, bool commit,
                                   std::int64_t timestampMs);

private:
    void writeRecord(std::int64_t timestampDelta, std::optional<QByteArrayView> key,
                     std::optional<QByteArrayView> value, std::span<const HeaderView> headers);

    QByteArray m_buffer;
    std::int64_t m_timestamp;
    std::int64_t m_maxTimestamp;
    int m_count = 0;
};

template <typename F>
bool RecordBatchView::forEachRecord(std::int64_t fromOffset, F &&f, QString *error) const
{
    const char *p = m_bytes.data() + batch::kHeaderSize;
    const char *end = m_bytes.data() + m_bytes.size();
    QByteArray decompressed;
    if (compression() != 0) {
        if (!decompressRecords(decompressed, error))
            return false;
        p = decompressed.constData();
        end = p + decompressed.size();
    }
    const std::int32_t count = recordCount();
    for (std::int32_t i = 0; i < count; ++i) {
        RecordView record;
        if (!decodeRecord(p, end, record))
            return false;
        if (record.offset < fromOffset)
            continue;
        if (!f(static_cast<const RecordView &>(record)))
            return true;
    }
    return true;
}

template <typename F> bool forEachHeader(const RecordView &record, F &&f)
{
    const char *p = record.headerBytes.data();
    const char *end = p + record.headerBytes.size();
    for (std::int32_t i = 0; i < record.headerCount; ++i) {
        HeaderView header;
        if (!decodeHeader(p, end, header))
            return false;
        f(header);
    }
    return true;
}

} // namespace rivulet
