#pragma once

#include "fileio.h"
#include "logsettings.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace rivulet {

// One change to where a consumer stands: a Kafka group's committed offset (or its removal),
// or a native consumer's position.
struct OffsetChange
{
    enum class Kind : std::uint8_t
    {
        GroupOffset = 1,        // group, topic, partition, offset, metadata, timeMs
        GroupOffsetDeleted = 2, // group, topic, partition
        GroupDeleted = 3,       // group
        Position = 4,           // consumer (in group), topic, partition, offset, delivered, timeMs
        PositionForgotten = 5,  // consumer (in group), topic, partition
    };
    Kind kind = Kind::GroupOffset;
    QByteArray group; // the group id, or the native consumer's name
    QByteArray topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    QByteArray metadata;
    std::int64_t timeMs = 0;
    std::int64_t delivered = 0;

    bool operator==(const OffsetChange &) const = default;

    static OffsetChange groupOffset(QByteArray group, QByteArray topic, std::int32_t partition,
                                    std::int64_t offset, QByteArray metadata, std::int64_t timeMs)
    {
        OffsetChange c = removal(Kind::GroupOffset, std::move(group), std::move(topic), partition);
        c.offset = offset;
        c.metadata = std::move(metadata);
        c.timeMs = timeMs;
        return c;
    }
    static OffsetChange position(QByteArray consumer, QByteArray topic, std::int32_t partition,
                                 std::int64_t offset, std::int64_t delivered, std::int64_t timeMs)
    {
        OffsetChange c = removal(Kind::Position, std::move(consumer), std::move(topic), partition);
        c.offset = offset;
        c.delivered = delivered;
        c.timeMs = timeMs;
        return c;
    }
    // GroupOffsetDeleted, GroupDeleted (no topic) or PositionForgotten
    static OffsetChange removal(Kind kind, QByteArray group, QByteArray topic = {},
                                std::int32_t partition = 0)
    {
        OffsetChange c;
        c.kind = kind;
        c.group = std::move(group);
        c.topic = std::move(topic);
        c.partition = partition;
        return c;
    }
};

// The write-ahead journal of offset changes: each change is appended (write(2), and under
// --fsync always fdatasync'd) before the commit that made it is acknowledged, so acknowledged
// commits survive kill -9 (and, under always, power loss) although groups.json and
// consumers.json are only rewritten every few seconds.
//
// Files: DIR/commits/<generation>.journal, each a run of records
//   u32 payload length, u32 CRC-32C of the payload, payload (kind u8, then the kind's fields;
//   strings as u32 length + bytes, integers big-endian).
// A torn or damaged record ends its file's replay (a crash can only tear the newest one).
//
// Compaction: rotate() starts a new generation; once the snapshot files written after it are
// safely on disk, dropUpTo() removes the older generations. Replaying every file that is left,
// oldest first, over the snapshot gives the state at the crash, because every change is
// applied in memory before it is appended, and appended in the order it was applied.
class CommitJournal
{
public:
    CommitJournal(QString directory, FsyncPolicy policy);
    ~CommitJournal();
    CommitJournal(const CommitJournal &) = delete;
    CommitJournal &operator=(const CommitJournal &) = delete;

    // Calls apply for every change in every journal file, oldest first. notes says what was
    // cut (a torn tail). False only when the directory cannot be read.
    bool replay(const std::function<void(const OffsetChange &)> &apply, QStringList &notes,
                QString &error) const;
    // Opens a new generation for appending (after replay).
    bool open(QString &error);

    // Appends changes (one write, one fdatasync under --fsync always); false (and why) when
    // they are not in the file, e.g. the disk is full.
    bool append(const std::vector<OffsetChange> &changes, QString &error);
    // --fsync interval: forces what was appended since the last sync to disk.
    bool sync(QString &error);

    // Starts a new generation and returns the previous one's number in covered.
    bool rotate(std::uint64_t &covered, QString &error);
    // Removes the files of generations up to and including covered.
    bool dropUpTo(std::uint64_t covered, QString &error);

    // Bytes appended to the current generation (for deciding when to compact).
    std::int64_t bytesInGeneration() const;

    static QByteArray encode(const OffsetChange &change);
    // Decodes one payload; false if it is not a well-formed change.
    static bool decode(QByteArrayView payload, OffsetChange &change);

private:
    QString fileOf(std::uint64_t generation) const;
    QList<std::uint64_t> generations(QString &error) const;
    bool openGeneration(std::uint64_t generation, QString &error);

    const QString m_dir;
    const FsyncPolicy m_policy;
    mutable std::mutex m_mutex;
    std::shared_ptr<fileio::FileHandle> m_file;
    std::uint64_t m_generation = 0;
    std::int64_t m_size = 0;
    bool m_dirty = false; // appended since the last sync
};

} // namespace rivulet
