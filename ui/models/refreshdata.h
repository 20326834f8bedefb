#pragma once

#include "consumersmodel.h"
#include "monitor/snapshot.h"

#include <cstdint>
#include <memory>

namespace rivulet {

class Broker;

// Everything one refresh of the window shows, copied out of the broker and sorted away
// from the GUI thread, so that the GUI thread only merges it into the models.
struct RefreshData
{
    std::uint64_t sequence = 0;     // refreshes are numbered in the order they were asked for
    BrokerSnapshot snapshot;        // topics, partitions, consumer positions, clients and groups
    ConsumersModel::Rows consumers; // built from the snapshot
    std::int64_t prepareNs = 0;     // how long building all this took
};

// Safe on any thread: the broker's registries take their own brief locks.
std::shared_ptr<const RefreshData> prepareRefresh(Broker &broker, std::uint64_t sequence);

} // namespace rivulet
