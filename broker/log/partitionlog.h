#pragma once

#include "logsettings.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace rivulet {

struct AppendResult
{
    bool ok = false;
    std::int64_t baseOffset = -1;
    std::int64_t lastOffset = -1;
    QString error; // set when !ok: nothing was stored
};

// How far a log had got when a sync of the whole file system started: bytes appended and
// segment files made (see PartitionLog::pendingSync()).
namespace fileio {
struct SyncState;
}
struct SyncPoint
{
    std::int64_t appendedBytes = 0;
    std::uint64_t filesMade = 0;
    // the newest segment file and its write count, so that its descriptor is not fsynced
    // again when the file pool closes it
    std::shared_ptr<fileio::SyncState> file;
    std::uint64_t fileWrites = 0;
};

// Receives one stored batch (magic-2 RecordBatch bytes, baseOffset set); return false to stop.
using BatchVisitor = std::function<bool(QByteArrayView batch)>;

// The storage of one partition: an append-only sequence of record batches with dense
// offsets. Partition serialises access; only the sync functions may be called without its
// lock (they are thread-safe by themselves).
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
    // [startOffset(), endOffset()). Returns false (and why) when stored data cannot be
    // served, e.g. a batch whose CRC no longer matches: damaged data is never handed out.
    virtual bool readBatches(std::int64_t fromOffset, const BatchVisitor &visitor,
                             QString &error) const = 0;

    // Durability. appendedBytes() counts every byte ever appended; syncTo() returns once at
    // least that many are on disk (concurrent callers share one fsync).
    virtual std::int64_t appendedBytes() const { return 0; }
    virtual bool syncTo(std::int64_t appendedBytes, QString &error)
    {
        Q_UNUSED(appendedBytes);
        Q_UNUSED(error);
        return true;
    }
    // True when every append must be synced before it is acknowledged (--fsync always).
    virtual bool syncOnAppend() const { return false; }
    // Thread-safe. What is not yet on disk (nullopt: nothing). After a syncfs(2) that began
    // after this was taken, noteSynced() counts it as synced: many partitions with new data
    // cost one flush of the file system instead of one fsync each.
    virtual std::optional<SyncPoint> pendingSync() const { return std::nullopt; }
    virtual void noteSynced(const SyncPoint &point) { Q_UNUSED(point); }

    // Makes finished segments durable (fsync, then their index); thread-safe, called by
    // housekeeping so that the produce path never waits for it.
    virtual bool seal(QString &error)
    {
        Q_UNUSED(error);
        return true;
    }
    // Moves the start offset up to offset (at most endOffset(); a lower one changes
    // nothing): the records before it are gone for every reader, as after retention, and stay
    // gone after a restart. Whole segments before it go at once. False (and why) when the new
    // start cannot be recorded; then nothing changed.
    virtual bool deleteRecordsBefore(std::int64_t offset, QString &error) = 0;
    // Deletes whole old segments the policy no longer keeps; returns how many.
    virtual int applyRetention(const RetentionPolicy &policy, std::int64_t nowMs)
    {
        Q_UNUSED(policy);
        Q_UNUSED(nowMs);
        return 0;
    }
    // Clean shutdown: leave the files so the next start needs no recovery scan.
    virtual bool close(QString &error)
    {
        Q_UNUSED(error);
        return true;
    }

    // Logs that open their files on first use (LazyLog): until load(), only the sync and
    // seal functions and close() may be called.
    virtual bool isLoaded() const { return true; }
    virtual void load() {}
    // Why the log cannot be used (it refuses every read and append), or empty.
    virtual QString brokenReason() const { return {}; }
};

// A partition that could not be opened: every operation fails with the reason, so the
// broker keeps serving its other partitions.
class BrokenLog final : public PartitionLog
{
public:
    explicit BrokenLog(QString reason) : m_reason(std::move(reason)) {}
    std::int64_t startOffset() const override { return 0; }
    std::int64_t endOffset() const override { return 0; }
    std::int64_t sizeBytes() const override { return 0; }
    AppendResult append(QByteArray &) override { return {false, -1, -1, m_reason}; }
    bool readBatches(std::int64_t, const BatchVisitor &, QString &error) const override
    {
        error = m_reason;
        return false;
    }
    bool deleteRecordsBefore(std::int64_t, QString &error) override
    {
        error = m_reason;
        return false;
    }
    bool close(QString &error) override
    {
        error = m_reason; // never mark a directory clean over a partition that did not open
        return false;
    }
    const QString &reason() const { return m_reason; }
    QString brokenReason() const override { return m_reason; }

private:
    QString m_reason;
};

// A log opened on first use: a broker holding tens of thousands of partitions starts without
// opening (or recovering) any of them. Partition calls load() under its lock before the
// first read or append; recovery (a torn tail cut) happens then, before the log is used.
class LazyLog final : public PartitionLog
{
public:
    using Opener = std::function<std::unique_ptr<PartitionLog>()>;
    // needsLoadToClose: a log that must be opened before close() can mark it clean (the
    // broker started after a crash, so it may hold a torn tail nobody has cut yet).
    LazyLog(Opener opener, bool needsLoadToClose)
        : m_opener(std::move(opener)), m_needsLoadToClose(needsLoadToClose)
    {
    }
    bool isLoaded() const override { return m_log != nullptr; }
    void load() override
    {
        if (!m_log) {
            m_log = m_opener();
            m_opener = nullptr;
        }
    }
    std::int64_t startOffset() const override { return m_log->startOffset(); }
    std::int64_t endOffset() const override { return m_log->endOffset(); }
    std::int64_t sizeBytes() const override { return m_log->sizeBytes(); }
    AppendResult append(QByteArray &batch) override { return m_log->append(batch); }
    bool readBatches(std::int64_t fromOffset, const BatchVisitor &visitor,
                     QString &error) const override
    {
        return m_log->readBatches(fromOffset, visitor, error);
    }
    std::int64_t appendedBytes() const override { return m_log ? m_log->appendedBytes() : 0; }
    bool syncTo(std::int64_t appendedBytes, QString &error) override
    {
        return !m_log || m_log->syncTo(appendedBytes, error);
    }
    bool syncOnAppend() const override { return m_log && m_log->syncOnAppend(); }
    std::optional<SyncPoint> pendingSync() const override
    {
        return m_log ? m_log->pendingSync() : std::nullopt;
    }
    void noteSynced(const SyncPoint &point) override
    {
        if (m_log)
            m_log->noteSynced(point);
    }
    bool seal(QString &error) override { return !m_log || m_log->seal(error); }
    bool deleteRecordsBefore(std::int64_t offset, QString &error) override
    {
        return m_log->deleteRecordsBefore(offset, error);
    }
    int applyRetention(const RetentionPolicy &policy, std::int64_t nowMs) override
    {
        return m_log->applyRetention(policy, nowMs);
    }
    bool close(QString &error) override
    {
        if (!m_log && !m_needsLoadToClose)
            return true; // never opened: its files are as the last clean stop left them
        load();
        return m_log->close(error);
    }
    QString brokenReason() const override { return m_log ? m_log->brokenReason() : QString(); }

private:
    Opener m_opener;
    std::unique_ptr<PartitionLog> m_log;
    const bool m_needsLoadToClose;
};

} // namespace rivulet
