#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>
#include <functional>

namespace rivulet {

struct AppendResult
{
    bool ok = false;
    std::int64_t baseOffset = -1;
    std::int64_t lastOffset = -1;
    QString error; // set when !ok: nothing was stored
};

// Receives one stored batch (magic-2 RecordBatch bytes, baseOffset set); return false to stop.
using BatchVisitor = std::function<bool(QByteArrayView batch)>;

// The storage of one partition: an append-only sequence of record batches with dense
// offsets. Implementations are not thread-safe; Partition serialises access.
class PartitionLog
{
public:
    virtual ~PartitionLog() = default;

    // First offset still stored and the offset the next record will get.
    virtual std::int64_t startOffset() const = 0;
    virtual std::int64_t endOffset() const = 0;
    virtual std::int64_t sizeBytes() const = 0;

    // Stores a validated batch whose records have offset deltas 0..lastOffsetDelta. Sets its
    // baseOffset to endOffset() (in place) before storing. Nothing is stored on failure.
    virtual AppendResult append(QByteArray &batch) = 0;

    // Visits stored batches in order, starting with the one that holds fromOffset, until the
    // visitor returns false or the log ends. Nothing is visited when fromOffset is outside
    // [startOffset(), endOffset()).
    virtual void readBatches(std::int64_t fromOffset, const BatchVisitor &visitor) const = 0;
};

} // namespace rivulet
