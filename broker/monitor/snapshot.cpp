#include "snapshot.h"

#include "log/topicregistry.h"

namespace rivulet {

BrokerSnapshot takeSnapshot(const TopicRegistry &registry, std::int64_t nowMs)
{
    BrokerSnapshot snapshot;
    snapshot.takenMs = nowMs;
    const auto topics = registry.topics();
    snapshot.topics.reserve(topics.size());
    for (const auto &topic : topics) {
        TopicSnapshot t;
        t.name = topic->name();
        t.partitions.reserve(std::size_t(topic->partitionCount()));
        for (int i = 0; i < topic->partitionCount(); ++i) {
            const Partition *p = topic->partition(i);
            PartitionSnapshot partition;
            partition.partition = i;
            partition.stats = p->stats();
            partition.consumers = p->consumers();
            partition.unavailable = p->unavailable();
            t.partitions.push_back(std::move(partition));
        }
        snapshot.topics.push_back(std::move(t));
    }
    return snapshot;
}

} // namespace rivulet
