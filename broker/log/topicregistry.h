#pragma once

#include "stringhash.h"
#include "topic.h"

#include <functional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace rivulet {

using LogFactory =
    std::function<std::unique_ptr<PartitionLog>(const QString &topic, int partition)>;

// All topics, by name. Lookups are concurrent (shared lock); creation is rare and exclusive.
class TopicRegistry
{
public:
    static constexpr int kMaxPartitions = 10000;

    explicit TopicRegistry(LogFactory factory);

    enum class CreateOutcome { Created, AlreadyExists, Conflict, Invalid };
    struct CreateResult
    {
        CreateOutcome outcome;
        std::shared_ptr<Topic> topic; // the existing or new topic, unless Invalid
        QString error;
    };
    // Creating an existing topic with the same partition count is a no-op that keeps its
    // data; with another count it is a Conflict.
    CreateResult create(QByteArrayView name, std::int64_t partitions);

    std::shared_ptr<Topic> find(QByteArrayView name) const;
    std::vector<std::shared_ptr<Topic>> topics() const; // sorted by name
    std::size_t size() const;

private:
    LogFactory m_factory;
    mutable std::shared_mutex m_mutex;
    std::unordered_map<std::string, std::shared_ptr<Topic>, StringHash, std::equal_to<>> m_topics;
};

} // namespace rivulet
