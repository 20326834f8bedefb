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

QString topicNameProblem(QByteArrayView name)
{
    if (name.isEmpty())
        return QStringLiteral("topic name is empty");
    if (name.size() > 249)
        return QStringLiteral("topic name is longer than 249 characters");
    if (name == "." || name == "..")
        return QStringLiteral("topic name cannot be \".\" or \"..\"");
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return QStringLiteral("topic name may only contain letters, digits, '.', '_' and '-'");
    }
    return {};
}

} // namespace rivulet
