// The Broker's side of transactions: markers into partitions, the last stable offset and
// aborted transactions for read_committed Fetch, and keeping the coordinator's state and the
// aborted lists in DIR/transactions.json (PROTOCOL.md §15.32).
#include "broker.h"

#include "log/recordbatch.h"

#include <QJsonArray>

namespace rivulet {

TransactionCoordinator::Hooks Broker::transactionHooks()
{
    TransactionCoordinator::Hooks hooks;
    hooks.writeMarker = [this](const TransactionCoordinator::TopicPartition &tp,
                               std::int64_t producerId, std::int16_t epoch, bool commit) {
        return writeTxnMarker(tp.first, tp.second, producerId, epoch, commit);
    };
    hooks.commitOffsets =
        [this](const QByteArray &group,
               const std::vector<TransactionCoordinator::PendingOffset> &offsets) {
            std::vector<kafka::GroupCoordinator::Commit> commits;
            for (const auto &o : offsets)
                commits.push_back({o.topic, o.partition, o.offset, o.metadata});
            // offsets committed with a transaction must survive a crash as its records do
            // (exactly once): journaled at once, or else saved in groups.json at once
            QString error;
            if (!m_groups.storeCommitted(group, commits, nowMs(), error) && m_dataDir) {
                qWarning("rivulet: offsets of a transaction for group %s not journaled (%s); "
                         "saving groups.json now",
                         group.constData(), qPrintable(error));
                saveGroupOffsets(false);
            }
        };
    hooks.partitionExists = [this](const TransactionCoordinator::TopicPartition &tp) {
        const auto topic = m_topics.find(tp.first);
        return topic && topic->partition(tp.second);
    };
    hooks.save = [this](const QJsonObject &state) { saveTransactions(state); };
    return hooks;
}

bool Broker::writeTxnMarker(QByteArrayView topicName, std::int32_t index, std::int64_t producerId,
                            std::int16_t epoch, bool commit)
{
    const auto topic = m_topics.find(topicName);
    Partition *partition = topic ? topic->partition(index) : nullptr;
    if (!partition)
        return false;
    const auto state = m_producers.of(topic->id(), index);
    std::lock_guard lock(state->mutex());
    state->load(*partition);
    const std::optional<std::int64_t> first = state->openTransaction(producerId);
    QByteArray marker = RecordBatchBuilder::controlBatch(producerId, epoch, commit, nowMs());
    const AppendResult appended = partition->append(marker, nowMs());
    if (!appended.ok && appended.baseOffset < 0) {
        qWarning("rivulet: cannot write the %s marker of producer %lld to %s[%d]: %s",
                 commit ? "commit" : "abort", static_cast<long long>(producerId),
                 qPrintable(topic->name()), index, qPrintable(appended.error));
        return false;
    }
    if (!commit && first)
        state->addAborted({producerId, *first, appended.baseOffset});
    state->endTransaction(producerId);
    state->noteMarker(producerId, epoch);
    return true;
}

std::int64_t Broker::lastStableOffset(const Topic &topic, const Partition &partition)
{
    const std::int64_t end = partition.endOffset();
    const auto state = m_producers.find(topic.id(), partition.index());
    if (!state)
        return end; // no transactional producer has written here since start-up
    std::lock_guard lock(state->mutex());
    state->load(partition);
    return std::min(end, state->firstOpenOffset().value_or(end));
}

std::vector<std::pair<std::int64_t, std::int64_t>>
Broker::abortedTransactions(const Topic &topic, const Partition &partition, std::int64_t from,
                            std::int64_t to)
{
    std::vector<std::pair<std::int64_t, std::int64_t>> list;
    const auto state = m_producers.find(topic.id(), partition.index());
    if (!state)
        return list;
    std::lock_guard lock(state->mutex());
    for (const auto &a : state->aborted(from, to))
        list.emplace_back(a.producerId, a.firstOffset);
    return list;
}

std::unordered_map<std::int64_t, PartitionProducers::State> Broker::producers(const Topic &topic,
                                                                              int partition)
{
    const auto state = m_producers.find(topic.id(), partition);
    const Partition *p = topic.partition(partition);
    if (!state || !p)
        return {};
    std::lock_guard lock(state->mutex());
    state->load(*p);
    return state->producers();
}

void Broker::saveTransactions(const QJsonObject &coordinatorState)
{
    if (!m_dataDir)
        return;
    // the aborted lists of every partition go with the coordinator's state: a read_committed
    // consumer must skip aborted records after a restart too
    QJsonArray aborted;
    // Markers are only ever written to partitions that have producer state (writeTxnMarker
    // makes it, and so does restoreTransactions), so one walk over those finds both lists:
    // the topics and partitions no transaction touched are not visited.
    QJsonArray markers;
    for (const auto &[topicId, index, state] : m_producers.all()) {
        const auto topic = m_topics.find(topicId);
        const Partition *p = topic ? topic->partition(index) : nullptr;
        if (!p)
            continue;
        if (const std::int64_t n = p->markers(); n > 0)
            markers.append(QJsonObject{{QStringLiteral("topic"), topic->name()},
                                       {QStringLiteral("partition"), index},
                                       {QStringLiteral("markers"), qint64(n)}});
        std::lock_guard lock(state->mutex());
        state->pruneAborted(p->startOffset());
        for (const auto &a : state->allAborted())
            aborted.append(QJsonObject{{QStringLiteral("topic"), topic->name()},
                                       {QStringLiteral("partition"), index},
                                       {QStringLiteral("producerId"), qint64(a.producerId)},
                                       {QStringLiteral("first"), qint64(a.firstOffset)},
                                       {QStringLiteral("last"), qint64(a.lastOffset)}});
    }
    QJsonObject root = coordinatorState;
    root.insert(QStringLiteral("aborted"), aborted);
    root.insert(QStringLiteral("markers"), markers);
    QString error;
    if (!m_dataDir->saveTransactions(root, error))
        qWarning("rivulet: cannot save transactions: %s", qPrintable(error));
}

void Broker::restoreTransactions(const QJsonObject &saved)
{
    for (const QJsonValue &v : saved.value(QStringLiteral("markers")).toArray()) {
        const QJsonObject o = v.toObject();
        const auto topic = m_topics.find(o.value(QStringLiteral("topic")).toString().toUtf8());
        const int index = o.value(QStringLiteral("partition")).toInt();
        if (Partition *p = topic ? topic->partition(index) : nullptr) {
            p->restoreMarkers(o.value(QStringLiteral("markers")).toInteger());
            m_producers.of(topic->id(), index); // so that the next save finds it
        }
    }
    for (const QJsonValue &v : saved.value(QStringLiteral("aborted")).toArray()) {
        const QJsonObject o = v.toObject();
        const auto topic = m_topics.find(o.value(QStringLiteral("topic")).toString().toUtf8());
        const int index = o.value(QStringLiteral("partition")).toInt();
        if (!topic || !topic->partition(index))
            continue;
        const auto state = m_producers.of(topic->id(), index);
        std::lock_guard lock(state->mutex());
        state->addAborted({o.value(QStringLiteral("producerId")).toInteger(),
                           o.value(QStringLiteral("first")).toInteger(),
                           o.value(QStringLiteral("last")).toInteger()});
    }
    m_transactions.restore(saved, nowMs());
    // the partitions of open transactions are read now, so that their last stable offset
    // holds from the first Fetch on
    for (const auto &t : m_transactions.transactions())
        for (const auto &[name, index] : t.partitions)
            if (const auto topic = m_topics.find(name))
                if (const Partition *p = topic->partition(index)) {
                    const auto state = m_producers.of(topic->id(), index);
                    std::lock_guard lock(state->mutex());
                    state->load(*p);
                }
}

} // namespace rivulet
