#pragma once

#include "filepool.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace rivulet {

// One segment file of a partition: RecordBatches back to back, named by the offset of its
// first record (00000000000000000000.log), with a sparse offset index kept in memory and
// written beside it (.index) when the segment is rolled or the broker shuts down cleanly.
// Its descriptor comes from a FilePool: opened on demand, closed when the pool needs room.
class Segment
{
public:
    static constexpr std::int64_t kIndexInterval = 4096;
    // A batch larger than this in a file is taken for damage, not data.
    static constexpr std::int64_t kMaxBatchBytes = std::int64_t(1) << 30;

    struct IndexEntry
    {
        std::uint32_t relativeOffset;
        std::uint32_t position;
    };

    // What opening found; the partition log turns it into a decision.
    struct Damage
    {
        bool found = false;
        std::int64_t position = 0;    // byte where the first bad batch starts
        std::int64_t bytesAfter = 0;  // bytes from there to the end of the file
        bool intactDataAfter = false; // a valid batch follows the damage: not a torn tail
        QString reason;
    };

    static QString logPath(const QString &directory, std::int64_t baseOffset);
    static QString indexPath(const QString &directory, std::int64_t baseOffset);

    // A new, empty segment (existing files of that name are removed, unless the directory
    // was just made). The file itself is made by its first write: creating thousands of
    // partitions costs no descriptor and no fsync each. The caller fsyncs the directory
    // before data in it is counted as durable.
    static std::unique_ptr<Segment> create(FilePool &pool, const QString &directory,
                                           std::int64_t baseOffset, bool syncOnClose,
                                           QString &error, bool newDirectory = false);
    // Opens an existing segment. With trustIndex, the .index file is used if it is intact and
    // only the bytes after its last entry are checked; otherwise every batch is read and its
    // CRC checked. Damage (a bad batch and whatever follows it) is reported, not repaired;
    // nullptr only on an I/O error.
    static std::unique_ptr<Segment> open(FilePool &pool, const QString &directory,
                                         std::int64_t baseOffset, bool trustIndex, bool syncOnClose,
                                         Damage &damage, QString &error);

    std::int64_t baseOffset() const { return m_baseOffset; }
    std::int64_t endOffset() const { return m_endOffset; } // next offset after this segment
    std::int64_t size() const { return m_size; }           // bytes of intact batches
    std::int64_t maxTimestamp() const { return m_maxTimestamp; }
    bool isEmpty() const { return m_size == 0; }
    // false when the .index file was missing or damaged and the index was rebuilt by a scan
    bool indexWasLoaded() const { return m_indexLoaded; }
    // The open file (from the pool, opened again if it was closed); nullptr and why on failure.
    // forWrite keeps it among the pool's hot files.
    std::shared_ptr<fileio::FileHandle> file(QString &error, bool forWrite = false) const
    {
        return m_file->acquire(error, forWrite);
    }
    // false for a segment made by create() and not written yet
    bool existsOnDisk() const { return m_file->exists(); }
    const std::shared_ptr<fileio::SyncState> &syncState() const { return m_file->syncState(); }
    std::size_t indexEntries() const { return m_index.size(); }
    QString logPath() const { return logPath(m_directory, m_baseOffset); }

    // Writes the batch (its baseOffset already set) at the end. On failure nothing is
    // added: a partial write is truncated away.
    bool append(const QByteArray &batch, std::int64_t lastOffset, std::int64_t maxTimestamp,
                QString &error);
    // The byte position to start scanning from to find offset (an index entry at or before it).
    std::int64_t positionFor(std::int64_t offset) const;
    // Cuts the file back to the intact batches (after a torn tail was reported, or what a
    // failed append left), then fsyncs it unless told not to.
    bool truncateToSize(QString &error, bool sync = true);
    // durable: written atomically with fsyncs; otherwise replaced without any fsync (a clean
    // stop, which syncs the file system once after every partition is closed).
    bool writeIndex(QString &error, bool durable = true) const;
    // Makes a finished segment durable: its data fsynced, then its index written. Safe from
    // another thread once nothing appends to the segment; does nothing after removeFiles().
    bool seal(QString &error) const;
    // fsyncs the data written so far unless an fsync already covers it: for a finished
    // segment whose bytes an acknowledgement needs before housekeeping seals it. Safe from
    // any thread; does nothing after removeFiles().
    bool syncWritten(QString &error) const;
    void removeFiles() const;

private:
    Segment(QString directory, std::int64_t baseOffset, std::unique_ptr<PooledFile> file);
    bool loadIndex(std::int64_t fileSize);
    // Reads batches from position on, checking each; extends the index and end offset.
    bool scanFrom(const fileio::FileHandle &file, std::int64_t position, std::int64_t fileSize,
                  Damage &damage, QString &error);
    bool findIntactBatchAfter(const fileio::FileHandle &file, std::int64_t position,
                              std::int64_t fileSize, QString &error) const;
    bool syncWrittenLocked(QString &error) const; // under m_sealMutex
    void noteBatch(std::int64_t position, std::int64_t size, std::int64_t baseOffset,
                   std::int64_t lastOffset, std::int64_t maxTimestamp);

    QString m_directory;
    std::int64_t m_baseOffset;
    std::unique_ptr<PooledFile> m_file;
    std::int64_t m_size = 0;
    std::int64_t m_endOffset;
    std::int64_t m_maxTimestamp = -1;
    std::int64_t m_bytesSinceIndex = 0;
    std::vector<IndexEntry> m_index;
    bool m_indexLoaded = false;
    mutable std::mutex m_sealMutex; // seal() against removeFiles()
    mutable bool m_removed = false;
};

} // namespace rivulet
