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
    enum class CreateOutcome
    {
        Created,
        AlreadyExists,
        Conflict,
        Invalid
    };
    struct CreateResult
    {
        CreateOutcome outcome;
        std::shared_ptr<Topic> topic; // the existing or new topic, unless Invalid
        QString error;
    };
    // Creating an existing topic with the same partition count is a no-op that keeps its
    // data; with another count it is a Conflict. New partitions' logs come from factory.
    // A null id gives the topic a new random one. With allOrNothing, a partition whose log
    // could not be made (BrokenLog) fails the whole creation (Invalid, saying why) and no
    // topic is registered; without it (topics loaded at start-up) such a partition is kept,
    // refusing reads and appends, so that the others serve.
    CreateResult create(QByteArrayView name, std::int64_t partitions, const LogFactory &factory,
                        const RetentionPolicy &retention = {}, const QUuid &id = {},
                        bool allOrNothing = false);
    // Puts topic in the place of the registered topic of its name and id (one with more
    // partitions, made by Topic::withPartitions()); false when there is none.
    bool replace(std::shared_ptr<Topic> topic);
    // Takes the topic out of the registry; connections still holding it finish with it.
    std::shared_ptr<Topic> remove(QByteArrayView name);

    std::shared_ptr<Topic> find(QByteArrayView name) const;
    std::shared_ptr<Topic> find(const QUuid &id) const;
    std::vector<std::shared_ptr<Topic>> topics() const; // sorted by name
    std::size_t size() const;

private:
    mutable std::shared_mutex m_mutex;
    std::unordered_map<std::string, std::shared_ptr<Topic>, StringHash, std::equal_to<>> m_topics;
    // the same topics sorted by name, kept in step by create() and remove(): listing them
    // (a snapshot a few times a second) then needs no sort
    std::vector<std::shared_ptr<Topic>> m_sorted;
    struct UuidHash
    {
        std::size_t operator()(const QUuid &id) const noexcept { return qHash(id); }
    };
    std::unordered_map<QUuid, std::shared_ptr<Topic>, UuidHash> m_byId;
};

} // namespace rivulet
