// Where consumers stand, durably: the snapshot files (consumers.json for native positions,
// groups.json for Kafka group offsets), rewritten every few seconds, and the commit journal
// (log/commitjournal.h) of every change since, written before each change is acknowledged.
// Compaction starts a new journal generation, rewrites the snapshots, then drops the older
// generations. docs/ARCHITECTURE.md, "Offsets that survive a crash".

#include "broker.h"

#include <QJsonObject>

#include <map>
#include <tuple>

namespace rivulet {

void Broker::notePosition(const Topic &topic, Partition &partition, QByteArrayView consumer,
                          std::int64_t nextOffset, std::int64_t delivered, bool anonymous)
{
    const std::int64_t now = nowMs();
    // only a move is journaled: a consumer polling at the end costs no write
    if (!partition.noteConsumer(consumer, nextOffset, delivered, now, anonymous) || anonymous ||
        !m_journal)
        return;
    QString error;
    if (!m_journal->append({OffsetChange::position(consumer.toByteArray(), topic.name().toLatin1(),
                                                   partition.index(), nextOffset, delivered, now)},
                           error))
        qWarning("rivulet: position of %s in %s[%d] not journaled (consumers.json has it "
                 "within seconds): %s",
                 consumer.toByteArray().constData(), qPrintable(topic.name()), partition.index(),
                 qPrintable(error));
}

bool Broker::replayJournal(const CommitJournal &journal,
                           std::vector<kafka::GroupCoordinator::SavedOffset> &offsets,
                           QList<SavedPosition> &positions, QStringList &notes, QString &error)
{
    using GroupKey = std::tuple<QByteArray, QByteArray, std::int32_t>; // group, topic, partition
    using PositionKey = std::tuple<QString, int, QByteArray>;          // topic, partition, consumer
    std::map<GroupKey, kafka::GroupCoordinator::CommittedOffset> groupState;
    for (const auto &o : offsets)
        groupState[{o.groupId, o.topic, o.partition}] = o.committed;
    std::map<PositionKey, ConsumerPosition> positionState;
    for (const SavedPosition &p : positions)
        positionState[{p.topic, p.partition, p.position.consumer}] = p.position;

    int replayed = 0;
    const bool read = journal.replay(
        [&](const OffsetChange &c) {
            ++replayed;
            const QString topic = QString::fromLatin1(c.topic);
            switch (c.kind) {
            case OffsetChange::Kind::GroupOffset:
                groupState[{c.group, c.topic, c.partition}] = {c.offset, c.metadata, c.timeMs};
                break;
            case OffsetChange::Kind::GroupOffsetDeleted:
                groupState.erase({c.group, c.topic, c.partition});
                break;
            case OffsetChange::Kind::GroupDeleted:
                std::erase_if(groupState, [&](const auto &entry) {
                    return std::get<0>(entry.first) == c.group;
                });
                break;
            case OffsetChange::Kind::Position: {
                ConsumerPosition &p = positionState[{topic, c.partition, c.group}];
                p.consumer = c.group;
                p.nextOffset = c.offset;
                p.delivered += c.delivered;
                p.lastSeenMs = c.timeMs;
                p.anonymous = false;
                break;
            }
            case OffsetChange::Kind::PositionForgotten:
                positionState.erase({topic, c.partition, c.group});
                break;
            }
        },
        notes, error);
    if (!read)
        return false;
    if (replayed > 0)
        notes << QStringLiteral("replayed %1 offset change%2 from the commit journal")
                     .arg(replayed)
                     .arg(replayed == 1 ? "" : "s");
    offsets.clear();
    for (const auto &[key, committed] : groupState)
        offsets.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), committed});
    positions.clear();
    for (const auto &[key, position] : positionState)
        positions.append({std::get<0>(key), std::get<1>(key), position});
    return true;
}

void Broker::compactOffsets(bool force)
{
    if (!m_dataDir || !m_journal)
        return;
    std::uint64_t covered = 0;
    QString error;
    // a new generation first: whatever is journaled from here on is in a file that stays
    const bool rotated =
        (force || m_journal->bytesInGeneration() > 0) && m_journal->rotate(covered, error);
    if (!error.isEmpty())
        qWarning("rivulet: cannot start a new offset journal: %s", qPrintable(error));
    // after a rotation both files are written whatever their change counters say: the
    // generations about to go must be in them
    const bool positionsSaved = savePositions(force || rotated);
    const bool offsetsSaved = saveGroupOffsets(force || rotated);
    if (rotated && positionsSaved && offsetsSaved && !m_journal->dropUpTo(covered, error))
        qWarning("rivulet: %s", qPrintable(error));
}

bool Broker::savePositions(bool force)
{
    std::uint64_t version = 0;
    const auto topics = m_topics.topics();
    for (const auto &topic : topics)
        for (int i = 0; i < topic->partitionCount(); ++i)
            version += topic->partition(i)->consumerVersion();
    if (!force && version == m_savedPositionVersion)
        return true;
    QList<SavedPosition> positions;
    for (const auto &topic : topics)
        for (int i = 0; i < topic->partitionCount(); ++i)
            for (const ConsumerPosition &c : topic->partition(i)->consumers())
                if (!c.anonymous) // an address is never a consumer's name after a restart
                    positions.append({topic->name(), i, c});
    QString error;
    if (!m_dataDir->savePositions(positions, error)) {
        qWarning("rivulet: cannot save consumer positions: %s", qPrintable(error));
        return false;
    }
    m_savedPositionVersion = version;
    return true;
}

bool Broker::saveGroupOffsets(bool force)
{
    // the housekeeping thread and a committing transaction's worker may both save
    std::lock_guard lock(m_groupSaveMutex);
    const std::uint64_t version = m_groups.offsetVersion();
    if (!force && version == m_savedGroupVersion)
        return true;
    QJsonArray array;
    for (const auto &o : m_groups.offsets())
        array.append(
            QJsonObject{{QStringLiteral("group"), QString::fromUtf8(o.groupId)},
                        {QStringLiteral("topic"), QString::fromUtf8(o.topic)},
                        {QStringLiteral("partition"), o.partition},
                        {QStringLiteral("offset"), qint64(o.committed.offset)},
                        {QStringLiteral("metadata"), QString::fromUtf8(o.committed.metadata)},
                        {QStringLiteral("committedMs"), qint64(o.committed.commitMs)}});
    QString error;
    if (!m_dataDir->saveGroupOffsets(array, error)) {
        qWarning("rivulet: cannot save consumer group offsets: %s", qPrintable(error));
        return false;
    }
    m_savedGroupVersion = version;
    return true;
}

} // namespace rivulet
