#pragma once

#include "consumersmodel.h"
#include "monitor/snapshot.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <memory>

namespace rivulet {

class ClusterSource;

// Everything one refresh of the window shows, copied out of the broker and sorted away
// from the GUI thread, so that the GUI thread only merges it into the models.
struct RefreshData
{
    std::uint64_t sequence = 0; // refreshes are numbered in the order they were asked for
    // ClusterSource::snapshot() failed (a cluster that cannot be reached): why, and the
    // snapshot and consumers are empty; the window keeps showing the last good refresh.
    QString error;
    bool failed() const { return !error.isEmpty(); }
    std::int64_t takenMs = 0;       // when it was asked for (ms since the epoch)
    BrokerSnapshot snapshot;        // topics, partitions, consumer positions, clients and groups
    ConsumersModel::Rows consumers; // built from the snapshot
    std::int64_t prepareNs = 0;     // how long building all this took

    // The topic in the snapshot, or nullptr.
    const TopicSnapshot *findTopic(const QString &name) const;
};

// A topic's partition count as the GUI thread may learn it without asking the source (a
// cluster answers over the network): the window installs one that reads its last refresh.
// -1: no such topic.
using PartitionCountLookup = std::function<int(const QString &topic)>;
// lookup's answer, or, without one (a model or widget used on its own), the source's
// (ClusterSource::partitionCount(), metadata the in-process broker holds in memory).
int partitionCountOf(const PartitionCountLookup &lookup, ClusterSource &source,
                     const QString &topic);

// Blocks (the source may be a cluster on the network): call it off the GUI thread, except
// for the in-process broker whose registries take only brief locks.
std::shared_ptr<const RefreshData> prepareRefresh(ClusterSource &source, std::uint64_t sequence);

} // namespace rivulet
