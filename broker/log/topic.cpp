#include "topic.h"

#include <iterator>

namespace rivulet {

Topic::Topic(QString name, std::vector<std::shared_ptr<Partition>> partitions,
             RetentionPolicy retention, QUuid id)
    : m_name(std::move(name)), m_id(id.isNull() ? QUuid::createUuid() : id),
      m_partitions(std::move(partitions)), m_retentionMs(retention.retentionMs),
      m_retentionBytes(retention.retentionBytes)
{
}

std::shared_ptr<Topic> Topic::withPartitions(std::vector<std::shared_ptr<Partition>> added) const
{
    std::vector<std::shared_ptr<Partition>> all = m_partitions;
    all.insert(all.end(), std::make_move_iterator(added.begin()),
               std::make_move_iterator(added.end()));
    return std::make_shared<Topic>(m_name, std::move(all), retention(), m_id);
}

} // namespace rivulet
