#pragma once

#include "log/partition.h"
#include "monitor/clientregistry.h"
#include "monitor/groupsnapshot.h"

#include <QString>

#include <vector>

namespace rivulet {

class TopicRegistry;

// Plain values copied out of the live broker for the CLI and the UI: built from atomics
// and brief locks, never holding a log lock.
struct PartitionSnapshot
{
    int partition = 0;
    PartitionStats stats;
    std::vector<ConsumerPosition> consumers;
    QString unavailable; // why the partition could not be opened, or empty
    // Where it lives, as Kafka's Metadata says: broker ids (this broker is 0, the only
    // replica; a cluster's come from its answer). -1: no leader.
    int leader = 0;
    std::vector<int> replicas{0};
    std::vector<int> isr{0};
};

struct TopicSnapshot
{
    QString name;
    std::vector<PartitionSnapshot> partitions;
};

// A broker of a Kafka cluster, as Metadata lists it.
struct ClusterNode
{
    int id = -1;
    QString host;
    int port = 0;
};

struct BrokerSnapshot
{
    std::int64_t takenMs = 0;
    std::vector<TopicSnapshot> topics;          // sorted by name
    std::vector<ClientStats::Snapshot> clients; // by connection id
    std::vector<GroupSnapshot> groups;          // Kafka consumer groups, by id (Broker::snapshot)
    int connections = 0;                        // open, both protocols (Broker::snapshot)
    int maxConnections = 0;                     // --max-connections
    std::uint64_t refusedConnections = 0;       // closed at once for being over it
    std::vector<ClusterNode> brokers;           // a Kafka cluster's brokers by id; empty in-process
};

BrokerSnapshot takeSnapshot(const TopicRegistry &registry, std::int64_t nowMs);

} // namespace rivulet
