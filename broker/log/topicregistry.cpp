#include "topicregistry.h"

#include <algorithm>
#include <mutex>

namespace rivulet {

std::shared_ptr<Topic> TopicRegistry::find(const QUuid &id) const
{
    std::shared_lock lock(m_mutex);
    auto it = m_byId.find(id);
    return it == m_byId.end() ? nullptr : it->second;
}

std::shared_ptr<Topic> TopicRegistry::find(QByteArrayView name) const
{
    std::shared_lock lock(m_mutex);
    auto it = m_topics.find(std::string_view(name.data(), std::size_t(name.size())));
    return it == m_topics.end() ? nullptr : it->second;
}

TopicRegistry::CreateResult TopicRegistry::create(QByteArrayView name, std::int64_t partitions,
                                                  const LogFactory &factory,
                                                  const RetentionPolicy &retention, const QUuid &id,
                                                  bool allOrNothing)
{
    if (QString problem = topicNameProblem(name); !problem.isEmpty())
        return {CreateOutcome::Invalid, nullptr, problem};
    if (partitions < 1 || partitions > kMaxPartitions)
        return {CreateOutcome::Invalid, nullptr,
                QStringLiteral("partition count must be between 1 and %1").arg(kMaxPartitions)};

    std::unique_lock lock(m_mutex);
    const std::string key(name.data(), std::size_t(name.size()));
    if (auto it = m_topics.find(key); it != m_topics.end()) {
        if (it->second->partitionCount() == partitions)
            return {CreateOutcome::AlreadyExists, it->second, {}};
        return {CreateOutcome::Conflict, it->second,
                QStringLiteral("topic %1 already exists with %2 partitions")
                    .arg(it->second->name())
                    .arg(it->second->partitionCount())};
    }
    const QString topicName = QString::fromLatin1(name);
    std::vector<std::shared_ptr<Partition>> list;
    list.reserve(std::size_t(partitions));
    for (int i = 0; i < partitions; ++i) {
        list.push_back(std::make_shared<Partition>(i, factory(topicName, i)));
        if (allOrNothing && list.back()->isLoaded() && !list.back()->unavailable().isEmpty())
            return {CreateOutcome::Invalid, nullptr,
                    QStringLiteral("cannot create partition %1 of %2: %3")
                        .arg(i)
                        .arg(topicName, list.back()->unavailable())};
    }
    QUuid topicId = id;
    while (topicId.isNull() || m_byId.count(topicId))
        topicId = QUuid::createUuid();
    auto topic = std::make_shared<Topic>(topicName, std::move(list), retention, topicId);
    m_topics.emplace(key, topic);
    m_byId.emplace(topicId, topic);
    const auto at = std::lower_bound(m_sorted.begin(), m_sorted.end(), topicName,
                                     [](const auto &t, const QString &n) { return t->name() < n; });
    m_sorted.insert(at, topic);
    return {CreateOutcome::Created, topic, {}};
}

bool TopicRegistry::replace(std::shared_ptr<Topic> topic)
{
    std::unique_lock lock(m_mutex);
    const QByteArray name = topic->name().toLatin1();
    auto it = m_topics.find(std::string_view(name.constData(), std::size_t(name.size())));
    if (it == m_topics.end() || it->second->id() != topic->id())
        return false;
    *std::find(m_sorted.begin(), m_sorted.end(), it->second) = topic;
    m_byId[topic->id()] = topic;
    it->second = std::move(topic);
    return true;
}

std::shared_ptr<Topic> TopicRegistry::remove(QByteArrayView name)
{
    std::unique_lock lock(m_mutex);
    auto it = m_topics.find(std::string_view(name.data(), std::size_t(name.size())));
    if (it == m_topics.end())
        return nullptr;
    auto topic = std::move(it->second);
    m_topics.erase(it);
    m_byId.erase(topic->id());
    m_sorted.erase(std::find(m_sorted.begin(), m_sorted.end(), topic));
    return topic;
}

std::vector<std::shared_ptr<Topic>> TopicRegistry::topics() const
{
    std::shared_lock lock(m_mutex);
    return m_sorted;
}

std::size_t TopicRegistry::size() const
{
    std::shared_lock lock(m_mutex);
    return m_topics.size();
}

} // namespace rivulet
