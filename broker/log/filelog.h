#pragma once

#include "partitionlog.h"
#include "segment.h"

#include <QStringList>

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace rivulet {

// The durable PartitionLog: a directory of segment files. Appends go to the newest
// segment with write(2) before they are acknowledged; reads go through the sparse index
// and check every batch's CRC before handing it out.
class FileLog final : public PartitionLog
{
public:
    // Opens (or creates) the partition in directory. With cleanShutdown the segment indexes
    // are trusted; otherwise the newest segment is scanned and a torn tail cut off. Returns
    // a BrokenLog saying why when the partition cannot be opened safely. What recovery did
    // is added to notes, one line each. Segment files are opened through pool (the
    // process's shared pool when null).
    static std::unique_ptr<PartitionLog> open(const QString &directory, const LogSettings &settings,
                                              bool cleanShutdown, QStringList &notes,
                                              FilePool *pool = nullptr);
    // A new, empty partition in directory, which must not exist yet (its parent may not
    // either): the directory is made now, the first segment file at the first append, and
    // nothing is fsynced until data is (the caller fsyncs the parent directory once for
    // all the partitions it makes). A BrokenLog saying why when the directory cannot be
    // made.
    static std::unique_ptr<PartitionLog>
    create(const QString &directory, const LogSettings &settings, FilePool *pool = nullptr);

    std::int64_t startOffset() const override
    {
        return std::max(m_segments.front()->baseOffset(), m_deletedBefore);
    }
    std::int64_t endOffset() const override { return m_segments.back()->endOffset(); }
    std::int64_t sizeBytes() const override { return m_sizeBytes; }
    AppendResult append(QByteArray &batch) override;
    bool readBatches(std::int64_t fromOffset, const BatchVisitor &visitor,
                     QString &error) const override;

    std::int64_t appendedBytes() const override;
    bool syncTo(std::int64_t appendedBytes, QString &error) override;
    bool syncOnAppend() const override { return m_settings.fsync == FsyncPolicy::Always; }
    bool deleteRecordsBefore(std::int64_t offset, QString &error) override;
    int applyRetention(const RetentionPolicy &policy, std::int64_t nowMs) override;
    bool seal(QString &error) override; // thread-safe
    std::optional<SyncPoint> pendingSync() const override;
    void noteSynced(const SyncPoint &point) override;
    bool close(QString &error) override;

    int segmentCount() const { return int(m_segments.size()); }
    // Where deleteRecordsBefore() records the start offset, beside the segments: written
    // atomically before any segment goes, read at open.
    static QString startOffsetPath(const QString &directory);

private:
    FileLog(QString directory, const LogSettings &settings, FilePool &pool);
    bool roll(QString &error);
    // Makes a new segment the newest one; its directory entry awaits an fsync.
    void pushNewSegment(std::shared_ptr<Segment> segment);
    bool syncOnClose() const { return m_settings.fsync != FsyncPolicy::Never; }
    // Deletes the segments that end at or before offset, never the newest.
    void removeSegmentsBefore(std::int64_t offset);

    QString m_directory;
    LogSettings m_settings;
    FilePool &m_pool;
    std::vector<std::shared_ptr<Segment>> m_segments; // oldest first, never empty
    // anything appended, cut or deleted since open: close() has an index to write
    std::int64_t m_sizeBytes = 0;
    // the start offset set by deleteRecordsBefore() (0 if never): it may fall inside the
    // oldest segment, whose records before it are then never served
    std::int64_t m_deletedBefore = 0;
    bool m_changed = false;
    bool m_appendFailed = false; // an append left bytes a close cuts

    // group commit state, guarded by m_syncMutex
    mutable std::mutex m_syncMutex;
    std::condition_variable m_syncDone;
    bool m_syncing = false;
    std::int64_t m_appended = 0;
    std::int64_t m_synced = 0;
    std::shared_ptr<Segment> m_active;
    // segment files made (counted) and the count whose directory entries were fsynced
    std::uint64_t m_filesMade = 0;
    std::uint64_t m_filesSynced = 0;
    // finished segments not yet fsynced and indexed (sealed by housekeeping, off the
    // produce path); guarded by m_syncMutex
    std::vector<std::shared_ptr<Segment>> m_unsealed;
};

} // namespace rivulet
