#pragma once

#include "topicrules.h"

#include "partition.h"

#include <QString>
#include <QUuid>

#include <atomic>
#include <memory>
#include <vector>

namespace rivulet {

// A topic's name, id, retention and partitions. The partition list never changes: adding
// partitions makes a new Topic that shares the existing Partition objects (withPartitions())
// and takes this one's place in the registry, so that whoever still holds this one keeps a
// consistent view without a lock.
class Topic
{
public:
    Topic(QString name, std::vector<std::shared_ptr<Partition>> partitions,
          RetentionPolicy retention = {}, QUuid id = QUuid::createUuid());

    // This topic (same name, id and retention, same Partition objects) with added appended
    // to its partitions; their indexes must follow on from partitionCount().
    std::shared_ptr<Topic> withPartitions(std::vector<std::shared_ptr<Partition>> added) const;

    const QString &name() const { return m_name; }
    // Kafka's topic id: random at creation, kept in topics.json, never reused for another
    // topic (a topic deleted and created again under its name gets a new one).
    const QUuid &id() const { return m_id; }
    int partitionCount() const { return int(m_partitions.size()); }
    // nullptr when index is out of range
    Partition *partition(std::int64_t index) const
    {
        return index >= 0 && index < std::int64_t(m_partitions.size())
                   ? m_partitions[std::size_t(index)].get()
                   : nullptr;
    }

    RetentionPolicy retention() const
    {
        return {m_retentionMs.load(std::memory_order_relaxed),
                m_retentionBytes.load(std::memory_order_relaxed)};
    }
    void setRetention(const RetentionPolicy &policy)
    {
        m_retentionMs.store(policy.retentionMs, std::memory_order_relaxed);
        m_retentionBytes.store(policy.retentionBytes, std::memory_order_relaxed);
    }

private:
    const QString m_name;
    const QUuid m_id;
    const std::vector<std::shared_ptr<Partition>> m_partitions;
    std::atomic<std::int64_t> m_retentionMs;
    std::atomic<std::int64_t> m_retentionBytes;
};

} // namespace rivulet
