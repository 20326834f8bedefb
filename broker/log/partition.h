#pragma once

#include "partitionlog.h"
#include "recordbatch.h"
#include "stringhash.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace rivulet {

// What the broker knows of one consumer's progress through one partition.
struct ConsumerPosition
{
    QByteArray consumer;
    std::int64_t nextOffset = 0;
    std::int64_t delivered = 0; // records handed to this consumer in total
    std::int64_t lastSeenMs = 0;
    // named after its connection's address (the consumer gave no consumer_id): no later
    // connection can have that name, so the position is history, forgotten after a while
    bool anonymous = false;
};

struct PartitionStats
{
    std::int64_t startOffset = 0;
    std::int64_t endOffset = 0;
    std::int64_t sizeBytes = 0;
    // the last append; at start-up the newest stored batch's time (0: nothing stored)
    std::int64_t lastAppendMs = 0;
    // cumulative since start-up, for rates; -1: unknown (a cluster's, whose clients see end
    // offsets grow but neither the bytes written nor what other clients read)
    std::int64_t recordsIn = 0;
    std::int64_t bytesIn = 0;
    std::int64_t recordsOut = 0;
    std::int64_t bytesOut = 0;
    // transaction markers among the offsets: not messages, so not counted as ones
    std::int64_t markers = 0;
};

struct ReadOutcome
{
    int records = 0;
    QString error; // stored data could not be served (e.g. damaged on disk)
    // A read told not to decompress stopped before a compressed batch (records holds what
    // came before it).
    bool compressedAhead = false;
};

// One partition: its log behind a lock held only for an append or a copy-out, counters the
// monitor reads without that lock, and the positions of the consumers reading it.
class Partition
{
public:
    Partition(int index, std::unique_ptr<PartitionLog> log);

    int index() const { return m_index; }
    // Why the partition could not be opened (its log refuses every read and append), or
    // empty. Set once, when the log is loaded.
    const QString &unavailable() const
    {
        ensureLoaded();
        return m_unavailable;
    }
    // A log opened lazily (LazyLog) is loaded by the first call that needs it: an append, a
    // read, its offsets or statistics. Until then the partition holds no file open.
    bool isLoaded() const { return m_loaded.load(std::memory_order_acquire); }
    void ensureLoaded() const
    {
        if (!isLoaded())
            const_cast<Partition *>(this)->load();
    }
    // Appends and, with --fsync always, waits (outside the lock) until the batch is on disk.
    AppendResult append(QByteArray &batch, std::int64_t nowMs);

    // Calls f(const RecordView&) under the lock for up to maxRecords records from fromOffset
    // on, until f returns false (after taking that record). Transaction markers (control
    // batches) are stepped over: their offsets are gaps to the reader. With decompress false
    // the read stops before the first compressed batch (compressedAhead), for callers on a
    // connection's worker thread, where inflating one would hold up the other connections.
    template <typename F>
    ReadOutcome readRecords(std::int64_t fromOffset, int maxRecords, F &&f,
                            bool decompress = true) const;
    bool readBatches(std::int64_t fromOffset, const BatchVisitor &visitor, QString &error) const;

    std::int64_t startOffset() const
    {
        ensureLoaded();
        return m_startOffset.load(std::memory_order_relaxed);
    }
    std::int64_t endOffset() const
    {
        ensureLoaded();
        return m_endOffset.load(std::memory_order_acquire);
    }
    PartitionStats stats() const;
    // Transaction markers stored (counted as they are appended; the count is kept across
    // restarts by the broker, in transactions.json).
    std::int64_t markers() const { return m_markers.load(std::memory_order_relaxed); }
    void restoreMarkers(std::int64_t n) { m_markers.store(n, std::memory_order_relaxed); }

    // Housekeeping, called from the broker's housekeeping thread and at shutdown.
    bool sync(QString &error);
    // no lock: the log guards it (a log not loaded has nothing to seal)
    bool seal(QString &error) { return !isLoaded() || m_log->seal(error); }
    // What is not on disk yet, and noting it synced by a syncfs(2) (see PartitionLog).
    std::optional<SyncPoint> pendingSync() const
    {
        return isLoaded() ? m_log->pendingSync() : std::nullopt;
    }
    void noteSynced(const SyncPoint &point)
    {
        if (isLoaded())
            m_log->noteSynced(point);
    }
    int applyRetention(const RetentionPolicy &policy, std::int64_t nowMs);
    // Kafka's DeleteRecords: moves the start offset up to offset (clamped to the end; a lower
    // one changes nothing). Reads before it are refused as after retention, also after a
    // restart. False (and why) when the new start cannot be recorded.
    bool deleteRecordsBefore(std::int64_t offset, QString &error);
    bool close(QString &error);

    // Counts records handed to a consumer (for rates).
    void noteDelivered(std::int64_t records, std::int64_t bytes)
    {
        m_recordsOut.fetch_add(records, std::memory_order_relaxed);
        m_bytesOut.fetch_add(bytes, std::memory_order_relaxed);
    }
    // True when the position is new or moved (what the offset journal records).
    bool noteConsumer(QByteArrayView consumer, std::int64_t nextOffset, std::int64_t delivered,
                      std::int64_t nowMs, bool anonymous = false);
    // Forgets anonymous positions last seen before the given time; returns how many.
    int forgetAnonymousSeenBefore(std::int64_t ms);
    // Forgets one consumer's position; false when it had none.
    bool forgetConsumer(QByteArrayView consumer);
    void restoreConsumer(const ConsumerPosition &position);
    std::vector<ConsumerPosition> consumers() const;
    // Increases whenever a position that is saved (a named consumer's) changes or any
    // position is forgotten; lets the broker skip unchanged saves.
    std::uint64_t consumerVersion() const
    {
        return m_consumerVersion.load(std::memory_order_relaxed);
    }

private:
    void publishStats();
    void load();
    void loadLocked(); // under m_logMutex

    const int m_index;
    QString m_unavailable;
    mutable std::mutex m_logMutex;
    std::unique_ptr<PartitionLog> m_log;
    std::atomic<bool> m_loaded{false};
    std::atomic<std::int64_t> m_startOffset{0};
    std::atomic<std::int64_t> m_endOffset{0};
    std::atomic<std::int64_t> m_sizeBytes{0};
    std::atomic<std::int64_t> m_lastAppendMs{0};
    std::atomic<std::int64_t> m_recordsIn{0};
    std::atomic<std::int64_t> m_markers{0};
    std::atomic<std::int64_t> m_bytesIn{0};
    std::atomic<std::int64_t> m_recordsOut{0};
    std::atomic<std::int64_t> m_bytesOut{0};

    mutable std::mutex m_consumerMutex;
    std::unordered_map<std::string, ConsumerPosition, StringHash, std::equal_to<>> m_consumers;
    std::atomic<std::uint64_t> m_consumerVersion{0};
    // once true, stays true (even when every position has been forgotten since): lets
    // consumers() skip the lock for the many partitions nobody ever read
    std::atomic<bool> m_hasConsumers{false};
};

template <typename F>
ReadOutcome Partition::readRecords(std::int64_t fromOffset, int maxRecords, F &&f,
                                   bool decompress) const
{
    ReadOutcome outcome;
    bool stopped = false;
    if (maxRecords <= 0)
        return outcome;
    std::lock_guard lock(m_logMutex);
    const_cast<Partition *>(this)->loadLocked();
    m_log->readBatches(
        fromOffset,
        [&](QByteArrayView bytes) {
            const RecordBatchView view(bytes);
            if (view.isControl())
                return true; // a transaction's commit/abort marker: nobody's record
            if (!decompress && view.compression() != 0) {
                outcome.compressedAhead = true;
                return false;
            }
            QString why;
            const bool decoded = view.forEachRecord(
                fromOffset,
                [&](const RecordView &record) {
                    const bool more = f(record);
                    stopped = !more;
                    return ++outcome.records < maxRecords && more;
                },
                &why);
            if (!decoded) {
                // Never skip records silently. Records before this batch are answered; a
                // request that starts at it learns why it cannot go on (a batch stored before
                // produce checked sizes, inflating past the maximum, is refused here, its
                // decompression stopped at the bound).
                if (outcome.records == 0) {
                    outcome.error =
                        QStringLiteral("the batch at offsets %1-%2 cannot be decoded%3")
                            .arg(view.baseOffset())
                            .arg(view.lastOffset())
                            .arg(why.isEmpty() ? QString() : QStringLiteral(": ") + why);
                }
                return false;
            }
            return outcome.records < maxRecords && !stopped;
        },
        outcome.error);
    return outcome;
}

} // namespace rivulet
