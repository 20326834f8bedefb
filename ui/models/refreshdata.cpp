#include "refreshdata.h"

#include "clustersource.h"

#include <QDateTime>
#include <QElapsedTimer>

#include <algorithm>

namespace rivulet {

std::shared_ptr<const RefreshData> prepareRefresh(ClusterSource &source, std::uint64_t sequence)
{
    QElapsedTimer timer;
    timer.start();
    auto data = std::make_shared<RefreshData>();
    data->sequence = sequence;
    data->takenMs = QDateTime::currentMSecsSinceEpoch();
    // topics, clients, groups and the connection counts
    if (source.snapshot(data->snapshot, data->error)) {
        data->error.clear();
        data->consumers = ConsumersModel::rowsOf(data->snapshot);
    } else {
        data->snapshot = BrokerSnapshot();
        if (data->error.isEmpty())
            data->error = QStringLiteral("no answer");
    }
    data->prepareNs = timer.nsecsElapsed();
    return data;
}

const TopicSnapshot *RefreshData::findTopic(const QString &name) const
{
    const auto &topics = snapshot.topics; // sorted by name
    const auto it =
        std::lower_bound(topics.begin(), topics.end(), name,
                         [](const TopicSnapshot &t, const QString &n) { return t.name < n; });
    return it != topics.end() && it->name == name ? &*it : nullptr;
}

int partitionCountOf(const PartitionCountLookup &lookup, ClusterSource &source,
                     const QString &topic)
{
    if (topic.isEmpty())
        return -1;
    return lookup ? lookup(topic) : source.partitionCount(topic.toUtf8());
}

} // namespace rivulet
