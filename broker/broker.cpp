#include "broker.h"

#include "kafka/protocol.h"
#include "log/fileio.h"
#include "log/filelog.h"
#include "log/memorylog.h"

#include <QDateTime>
#include <QJsonObject>

#include <algorithm>

namespace rivulet {

Broker::Broker(BrokerConfig config)
    : m_config(std::move(config)), m_connections(m_config.maxConnections),
      m_groups(m_config.groupInitialRebalanceDelayMs), m_transactions(transactionHooks()),
      m_buffers(m_config.maxBufferedBytes)
{
    compression::setMaxInflatedBytes(m_config.maxMessageBytes);
    m_offWorker.setObjectName(QStringLiteral("rivulet-offworker"));
    if (m_config.offWorkerThreads > 0)
        m_offWorker.setMaxThreadCount(m_config.offWorkerThreads);
}

void Broker::runOffWorker(std::function<void()> task)
{
    m_offWorker.start(std::move(task));
}

Broker::~Broker()
{
    shutdown();
}

std::int64_t Broker::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

LogFactory Broker::logFactory(LogOrigin origin) const
{
    if (!m_dataDir)
        return [](const QString &, int) { return std::make_unique<MemoryLog>(); };
    if (origin == LogOrigin::New)
        return [this](const QString &topic, int partition) {
            return FileLog::create(m_dataDir->partitionPath(topic, partition), m_config.log);
        };
    // Partitions found at start-up open (and recover) on first use: a broker holding tens of
    // thousands of them is ready at once, and opens only those it serves.
    return [this](const QString &topic, int partition) -> std::unique_ptr<PartitionLog> {
        const bool clean = m_dataDir->wasCleanShutdown();
        auto open = [this, topic, partition, clean]() -> std::unique_ptr<PartitionLog> {
            QStringList notes;
            auto log = FileLog::open(m_dataDir->partitionPath(topic, partition), m_config.log,
                                     clean, notes);
            for (const QString &note : notes)
                qWarning("rivulet: %s[%d]: %s", qPrintable(topic), partition, qPrintable(note));
            if (const QString why = log->brokenReason(); !why.isEmpty())
                qCritical("rivulet: %s[%d] is unavailable: %s", qPrintable(topic), partition,
                          qPrintable(why));
            return log;
        };
        return std::make_unique<LazyLog>(std::move(open), !clean);
    };
}

bool Broker::openDataDir(const QString &path, QStringList &notes, QString &error)
{
    auto dir = std::make_unique<DataDir>();
    if (!dir->open(path, error))
        return false;
    notes << dir->removeStrayTempFiles();
    QList<TopicMeta> metas;
    QList<SavedPosition> positions;
    QJsonArray groupOffsets;
    QJsonObject transactions;
    if (!dir->loadTopics(metas, error) || !dir->loadPositions(positions, error) ||
        !dir->loadGroupOffsets(groupOffsets, error) || !dir->loadTransactions(transactions, error))
        return false;
    std::vector<kafka::GroupCoordinator::SavedOffset> restored;
    for (const QJsonValue &v : groupOffsets) {
        const QJsonObject o = v.toObject();
        restored.push_back({o.value(QStringLiteral("group")).toString().toUtf8(),
                            o.value(QStringLiteral("topic")).toString().toUtf8(),
                            o.value(QStringLiteral("partition")).toInt(),
                            {o.value(QStringLiteral("offset")).toInteger(-1),
                             o.value(QStringLiteral("metadata")).toString().toUtf8(),
                             o.value(QStringLiteral("committedMs")).toInteger(0)}});
    }
    // the journal holds every change acknowledged since those two files were written
    auto journal = std::make_unique<CommitJournal>(dir->path() + QStringLiteral("/commits"),
                                                   m_config.log.fsync);
    if (!replayJournal(*journal, restored, positions, notes, error) || !journal->open(error))
        return false;
    m_groups.restore(restored);
    m_savedGroupVersion = m_groups.offsetVersion();
    m_dataDir = std::move(dir);
    if (!m_dataDir->wasCleanShutdown() && !metas.isEmpty())
        notes << QStringLiteral("%1 was not shut down cleanly; checking the newest segment of "
                                "every partition")
                     .arg(m_dataDir->path());
    const LogFactory factory = logFactory(LogOrigin::Existing);
    // topics from before topic ids get theirs now, and keep them from here on
    bool newIds = false;
    for (const TopicMeta &meta : metas)
        newIds = newIds || meta.id.isNull();
    for (const TopicMeta &meta : metas) {
        const auto result = m_topics.create(meta.name.toLatin1(), meta.partitions, factory,
                                            meta.retention, meta.id);
        if (result.outcome != TopicRegistry::CreateOutcome::Created) {
            notes << QStringLiteral("skipped topic %1 in topics.json: %2")
                         .arg(meta.name, result.error);
            continue;
        }
        m_createdMs.insert(meta.name, meta.createdMs);
    }
    if (newIds) {
        std::lock_guard lock(m_metaMutex);
        QString saveError;
        if (!saveTopicsLocked(saveError))
            notes << QStringLiteral("cannot record the new topic ids: %1").arg(saveError);
    }
    for (const SavedPosition &saved : positions) {
        const auto topic = m_topics.find(saved.topic.toLatin1());
        if (Partition *p = topic ? topic->partition(saved.partition) : nullptr)
            p->restoreConsumer(saved.position);
    }
    restoreTransactions(transactions);
    m_journal = std::move(journal);
    m_groups.setJournal(
        [journal = m_journal.get()](const std::vector<OffsetChange> &changes, QString &why) {
            return journal->append(changes, why);
        });
    // what the journal replayed goes into the snapshot files, and its old files go
    compactOffsets(true);
    return true;
}

void Broker::startHousekeeping()
{
    if (!m_housekeeping.joinable())
        m_housekeeping = std::thread([this] { housekeepingLoop(); });
}

BrokerSnapshot Broker::snapshot() const
{
    BrokerSnapshot s = takeSnapshot(m_topics, nowMs());
    s.clients = m_clients.snapshot();
    s.connections = m_connections.open();
    s.maxConnections = m_connections.max();
    s.refusedConnections = m_connections.refused();
    s.groups = takeGroupSnapshots(m_groups);
    return s;
}

TopicRegistry::CreateResult Broker::createTopic(QByteArrayView name, std::int64_t partitions,
                                                std::optional<RetentionPolicy> retention)
{
    std::lock_guard lock(m_metaMutex);
    if (m_topics.find(name) == nullptr && m_dataDir && topicNameProblem(name).isEmpty()) {
        // files of a topic that is not in the metadata are leftovers of an interrupted
        // delete or create: a new topic starts empty
        QString ignored;
        m_dataDir->removeTopicFiles(QString::fromLatin1(name), ignored);
    }
    // every partition is made, or the topic is not: a client never hears "created" for a
    // topic whose partitions refuse to work
    auto result = m_topics.create(name, partitions, logFactory(LogOrigin::New),
                                  retention.value_or(m_config.defaultRetention), {}, true);
    if (result.outcome == TopicRegistry::CreateOutcome::Invalid && m_dataDir &&
        topicNameProblem(name).isEmpty()) {
        QString ignored; // whatever partitions were made go again
        m_dataDir->removeTopicFiles(QString::fromLatin1(name), ignored);
    }
    if (result.outcome == TopicRegistry::CreateOutcome::Created) {
        m_createdMs.insert(result.topic->name(), nowMs());
        QString error;
        // the new directories' entries, once for all the partitions (their segment files
        // are made, and their directories fsynced, when data first comes)
        const bool durable =
            !m_dataDir ||
            (fileio::syncDirectory(m_dataDir->topicPath(result.topic->name()), error) &&
             fileio::syncDirectory(m_dataDir->path() + QStringLiteral("/topics"), error));
        if (!durable || !saveTopicsLocked(error)) {
            m_topics.remove(name);
            m_createdMs.remove(result.topic->name());
            QString ignored;
            m_dataDir->removeTopicFiles(result.topic->name(), ignored);
            return {TopicRegistry::CreateOutcome::Invalid, nullptr,
                    QStringLiteral("cannot record the new topic: %1").arg(error)};
        }
    }
    return result;
}

bool Broker::deleteTopic(QByteArrayView name, QString &error)
{
    std::lock_guard lock(m_metaMutex);
    const auto topic = m_topics.remove(name);
    if (!topic) {
        error = QStringLiteral("unknown topic \"%1\"").arg(QString::fromUtf8(name));
        return false;
    }
    m_createdMs.remove(topic->name());
    m_producers.forget(topic->id());
    if (!m_dataDir)
        return true;
    // its aborted-transaction lists go from transactions.json too, or a topic created again
    // under the name would inherit them at the next start
    m_transactions.save();
    // metadata first: a crash before the files are gone leaves leftovers, never a topic
    // whose files are half deleted
    if (saveTopicsLocked(error))
        return m_dataDir->removeTopicFiles(topic->name(), error);
    // A full disk has no room for the new topics.json: the topic's files go first to make
    // some (their space comes back once the last reader lets go of the topic), and
    // housekeeping writes topics.json as soon as it can. A crash before that brings the topic
    // back, empty.
    const QString firstError = error;
    error.clear();
    if (!m_dataDir->removeTopicFiles(topic->name(), error))
        return false;
    m_topicsUnsaved = true;
    qWarning("rivulet: deleted topic %s: its files are removed; topics.json is rewritten once "
             "there is room (%s)",
             qPrintable(topic->name()), qPrintable(firstError));
    return true;
}

Broker::GroupOutcome Broker::resetGroupOffsets(const QByteArray &groupId, QByteArrayView topicName,
                                               const std::map<int, std::int64_t> &offsets,
                                               QString &error)
{
    const auto topic = m_topics.find(topicName);
    if (!topic) {
        error = QStringLiteral("there is no topic %1").arg(QString::fromUtf8(topicName));
        return GroupOutcome::UnknownTopic;
    }
    const QByteArray name = topic->name().toUtf8();
    std::vector<kafka::GroupCoordinator::Commit> commits;
    for (const auto &[partition, offset] : offsets) {
        const Partition *p = topic->partition(partition);
        if (!p) {
            error =
                QStringLiteral("topic %1 has no partition %2").arg(topic->name()).arg(partition);
            return GroupOutcome::UnknownPartition;
        }
        commits.push_back(
            {name, partition, std::clamp(offset, p->startOffset(), p->endOffset()), {}});
    }
    switch (m_groups.commit(groupId, -1, {}, commits, nowMs())) {
    case kafka::error::None:
        return GroupOutcome::Done;
    case kafka::error::InvalidGroupId:
        error = QStringLiteral("a group needs a name");
        return GroupOutcome::InvalidGroup;
    case kafka::error::KafkaStorageError:
        error = QStringLiteral("the new offsets could not be written to the offset journal "
                               "(is the disk full?); nothing was changed");
        return GroupOutcome::StorageError;
    default:
        error = QStringLiteral("group %1 has members: stop its consumers first, then reset "
                               "its offsets")
                    .arg(QString::fromUtf8(groupId));
        return GroupOutcome::HasMembers;
    }
}

Broker::GroupOutcome Broker::deleteGroup(const QByteArray &groupId, QString &error)
{
    switch (m_groups.deleteGroup(groupId)) {
    case kafka::error::None:
        return GroupOutcome::Done;
    case kafka::error::InvalidGroupId:
        error = QStringLiteral("a group needs a name");
        return GroupOutcome::InvalidGroup;
    case kafka::error::NonEmptyGroup:
        error = QStringLiteral("group %1 has members: stop its consumers first")
                    .arg(QString::fromUtf8(groupId));
        return GroupOutcome::HasMembers;
    default:
        error = QStringLiteral("there is no group %1").arg(QString::fromUtf8(groupId));
        return GroupOutcome::UnknownGroup;
    }
}

bool Broker::forgetConsumer(QByteArrayView topicName, int partition, QByteArrayView consumer)
{
    const auto topic = m_topics.find(topicName);
    Partition *p = topic ? topic->partition(partition) : nullptr;
    if (!p || !p->forgetConsumer(consumer))
        return false;
    QString error;
    if (m_journal &&
        !m_journal->append(
            {OffsetChange::removal(OffsetChange::Kind::PositionForgotten, consumer.toByteArray(),
                                   topicName.toByteArray(), partition)},
            error))
        qWarning("rivulet: forgetting a position not journaled (consumers.json is saved "
                 "without it within seconds): %s",
                 qPrintable(error));
    return true;
}

bool Broker::setRetention(QByteArrayView name, const RetentionPolicy &retention, QString &error)
{
    std::lock_guard lock(m_metaMutex);
    const auto topic = m_topics.find(name);
    if (!topic) {
        error = QStringLiteral("unknown topic \"%1\"").arg(QString::fromUtf8(name));
        return false;
    }
    const RetentionPolicy before = topic->retention();
    topic->setRetention(retention);
    if (!m_dataDir || saveTopicsLocked(error))
        return true;
    // not recorded, so not changed: after a restart the old policy would be back anyway
    topic->setRetention(before);
    return false;
}

Broker::ChangeOutcome Broker::addPartitions(QByteArrayView name, std::int64_t newTotal,
                                            QString &error, bool validateOnly)
{
    std::lock_guard lock(m_metaMutex);
    const auto topic = m_topics.find(name);
    if (!topic) {
        error = QStringLiteral("unknown topic \"%1\"").arg(QString::fromUtf8(name));
        return ChangeOutcome::UnknownTopic;
    }
    const int count = topic->partitionCount();
    // Kafka's words, which its tools show as they are
    if (newTotal == count) {
        error = QStringLiteral("Topic already has %1 partitions.").arg(count);
        return ChangeOutcome::Invalid;
    }
    if (newTotal < count) {
        error = QStringLiteral("Topic currently has %1 partitions, which is higher than the "
                               "requested %2.")
                    .arg(count)
                    .arg(newTotal);
        return ChangeOutcome::Invalid;
    }
    if (newTotal > kMaxPartitions) {
        error = QStringLiteral("A topic can have at most %1 partitions; %2 requested.")
                    .arg(kMaxPartitions)
                    .arg(newTotal);
        return ChangeOutcome::Invalid;
    }
    if (validateOnly)
        return ChangeOutcome::Done;

    const LogFactory factory = logFactory(LogOrigin::New);
    std::vector<std::shared_ptr<Partition>> added;
    auto discard = [&] {
        for (const auto &p : added) {
            QString ignored;
            p->close(ignored);
            if (m_dataDir)
                m_dataDir->removePartitionFiles(topic->name(), p->index(), ignored);
        }
    };
    for (int i = count; i < newTotal; ++i) {
        // a directory of a partition that topics.json does not count is a leftover of an
        // addition that was never recorded: a new partition starts empty
        if (m_dataDir && !m_dataDir->removePartitionFiles(topic->name(), i, error)) {
            discard();
            return ChangeOutcome::StorageError;
        }
        added.push_back(std::make_shared<Partition>(i, factory(topic->name(), i)));
        if (!added.back()->unavailable().isEmpty()) {
            error = added.back()->unavailable();
            discard();
            return ChangeOutcome::StorageError;
        }
    }
    const auto grown = topic->withPartitions(added);
    // recorded before anyone can produce to the new partitions
    QString saveError;
    if ((m_dataDir && !fileio::syncDirectory(m_dataDir->topicPath(topic->name()), saveError)) ||
        !saveTopicsLocked(saveError, grown.get())) {
        discard();
        error = QStringLiteral("cannot record the new partitions: %1").arg(saveError);
        return ChangeOutcome::StorageError;
    }
    m_topics.replace(grown);
    return ChangeOutcome::Done;
}

Broker::ChangeOutcome Broker::deleteRecordsBefore(QByteArrayView topicName, std::int64_t partition,
                                                  std::int64_t offset, std::int64_t &startOffset,
                                                  QString &error)
{
    startOffset = -1;
    const auto topic = m_topics.find(topicName);
    if (!topic) {
        error = QStringLiteral("unknown topic \"%1\"").arg(QString::fromUtf8(topicName));
        return ChangeOutcome::UnknownTopic;
    }
    Partition *p = topic->partition(partition);
    if (!p) {
        error = QStringLiteral("%1 has no partition %2 (it has %3)")
                    .arg(topic->name())
                    .arg(partition)
                    .arg(topic->partitionCount());
        return ChangeOutcome::UnknownPartition;
    }
    if (!p->unavailable().isEmpty()) {
        error = p->unavailable();
        return ChangeOutcome::StorageError;
    }
    const std::int64_t end = p->endOffset();
    const std::int64_t target = offset == -1 ? end : offset;
    if (target < 0 || target > end) {
        error = QStringLiteral("offset %1 is outside %2[%3], which ends at offset %4")
                    .arg(offset)
                    .arg(topic->name())
                    .arg(partition)
                    .arg(end);
        return ChangeOutcome::OutOfRange;
    }
    if (!p->deleteRecordsBefore(target, error))
        return ChangeOutcome::StorageError;
    startOffset = p->startOffset();
    return ChangeOutcome::Done;
}

bool Broker::saveTopicsLocked(QString &error, const Topic *replacing)
{
    if (!m_dataDir)
        return true;
    QList<TopicMeta> metas;
    for (const auto &registered : m_topics.topics()) {
        const Topic *topic =
            replacing && replacing->name() == registered->name() ? replacing : registered.get();
        metas.append({topic->name(), topic->partitionCount(), topic->retention(),
                      m_createdMs.value(topic->name()), topic->id()});
    }
    if (!m_dataDir->saveTopics(metas, error))
        return false;
    if (m_topicsUnsaved) {
        m_topicsUnsaved = false;
        qInfo("rivulet: topics.json is up to date again");
    }
    return true;
}

void Broker::housekeep(bool force)
{
    const std::int64_t now = nowMs();
    if (force || now - m_lastRateMs >= 1000) {
        m_lastRateMs = now;
        m_rates.sample(m_topics, now);
    }
    const auto topics = m_topics.topics();
    if (m_dataDir) {
        for (const auto &topic : topics)
            for (int i = 0; i < topic->partitionCount(); ++i) {
                QString error;
                if (!topic->partition(i)->seal(error))
                    qWarning("rivulet: %s", qPrintable(error));
            }
        if (m_config.log.fsync == FsyncPolicy::Interval || force) {
            if (QString error; m_journal && !m_journal->sync(error))
                qWarning("rivulet: %s", qPrintable(error));
            syncPartitions(topics);
        }
    }
    if (const int n = m_transactions.abortExpired(now); n > 0)
        qInfo("rivulet: aborted %d transaction%s open past %s timeout", n, n == 1 ? "" : "s",
              n == 1 ? "its" : "their");
    // retention applies in memory too: whole chunks there, whole segments on disk
    if (force || now - m_lastRetentionMs >= m_config.retentionCheckMs) {
        m_lastRetentionMs = now;
        const char *unit = m_dataDir ? "segment" : "chunk";
        for (const auto &topic : topics) {
            const RetentionPolicy policy = topic->retention();
            for (int i = 0; i < topic->partitionCount(); ++i) {
                // the same round forgets address-keyed positions nobody has used for a while
                topic->partition(i)->forgetAnonymousSeenBefore(now -
                                                               m_config.anonymousPositionTtlMs);
                if (const int n = topic->partition(i)->applyRetention(policy, now); n > 0)
                    qInfo("rivulet: retention deleted %d %s%s of %s[%d]; it now starts at "
                          "offset %lld",
                          n, unit, n == 1 ? "" : "s", qPrintable(topic->name()), i,
                          static_cast<long long>(topic->partition(i)->startOffset()));
            }
        }
    }
    if (!m_dataDir)
        return;
    if (std::lock_guard lock(m_metaMutex); m_topicsUnsaved) {
        QString error; // said when the topic was deleted; tried again every tick
        saveTopicsLocked(error);
    }
    if (force || now - m_lastPositionSaveMs >= m_config.positionSaveMs) {
        m_lastPositionSaveMs = now;
        compactOffsets(force);
    }
}

void Broker::syncPartitions(const std::vector<std::shared_ptr<Topic>> &topics)
{
    std::vector<std::pair<Partition *, SyncPoint>> pending;
    for (const auto &topic : topics)
        for (int i = 0; i < topic->partitionCount(); ++i)
            if (const auto point = topic->partition(i)->pendingSync())
                pending.emplace_back(topic->partition(i), *point);
    // Past a few partitions, one syncfs(2) beats an fsync each: a journal commit each on
    // ext4, so seconds for the thousands of partitions a wide produce touches.
    constexpr std::size_t kSyncFileSystemFrom = 16;
    if (pending.size() >= kSyncFileSystemFrom) {
        QString error;
        if (fileio::syncFileSystem(m_dataDir->path(), error)) {
            for (const auto &[partition, point] : pending)
                partition->noteSynced(point);
            return;
        }
        qWarning("rivulet: %s; syncing partition by partition", qPrintable(error));
    }
    for (const auto &[partition, point] : pending) {
        QString error;
        if (!partition->sync(error))
            qWarning("rivulet: %s", qPrintable(error));
    }
}

void Broker::housekeepingLoop()
{
    // the tick that matters most: fsync under --fsync interval, else the rate samples
    const auto interval =
        std::chrono::milliseconds(std::clamp<std::int64_t>(m_config.log.fsyncIntervalMs, 10, 1000));
    std::unique_lock lock(m_housekeepingMutex);
    while (!m_stopping) {
        m_housekeepingWake.wait_for(lock, interval, [this] { return m_stopping; });
        if (m_stopping)
            break;
        lock.unlock();
        housekeep(false);
        lock.lock();
    }
}

void Broker::shutdown()
{
    if (m_shutDown)
        return;
    m_shutDown = true;
    // produces still being checked finish (and are stored) before the logs close
    m_offWorker.waitForDone();
    {
        std::lock_guard lock(m_housekeepingMutex);
        m_stopping = true;
    }
    m_housekeepingWake.notify_all();
    if (m_housekeeping.joinable())
        m_housekeeping.join();
    if (!m_dataDir)
        return;
    compactOffsets(true);
    if (std::lock_guard lock(m_metaMutex); m_topicsUnsaved) {
        QString error;
        if (!saveTopicsLocked(error))
            qWarning("rivulet: topics.json still lists deleted topics: %s", qPrintable(error));
    }
    const auto topics = m_topics.topics();
    syncPartitions(topics); // at once for all, so that the closes below have nothing to fsync
    bool clean = true;
    for (const auto &topic : topics)
        for (int i = 0; i < topic->partitionCount(); ++i) {
            QString error;
            if (!topic->partition(i)->close(error)) {
                qWarning("rivulet: closing %s[%d]: %s", qPrintable(topic->name()), i,
                         qPrintable(error));
                clean = false;
            }
        }
    QString error;
    // the indexes the closes wrote without fsync, before the marker that trusts them
    if (clean && !fileio::syncFileSystem(m_dataDir->path(), error)) {
        qWarning("rivulet: %s", qPrintable(error));
        clean = false;
    }
    if (clean && !m_dataDir->markCleanShutdown(error))
        qWarning("rivulet: %s", qPrintable(error));
}

} // namespace rivulet
