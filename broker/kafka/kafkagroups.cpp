// Consumer group APIs: the KafkaHandler functions that talk to the GroupCoordinator.
#include "kafkahandler.h"

#include "broker.h"

namespace rivulet::kafka {

KafkaHandler::Outcome KafkaHandler::joinGroup(const RequestHeader &h, Reader &in, const Sink &sink)
{
    GroupCoordinator::JoinRequest r;
    r.groupId = in.string();
    r.sessionTimeoutMs = in.i32();
    r.rebalanceTimeoutMs = h.apiVersion >= 1 ? in.i32() : r.sessionTimeoutMs;
    r.memberId = in.string();
    r.protocolType = in.string();
    const std::int32_t count = in.arrayCount(2 + 4);
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        GroupCoordinator::Protocol p;
        p.name = in.string();
        p.metadata = in.bytes().toByteArray();
        r.protocols.push_back(std::move(p));
    }
    if (!in.ok())
        return {};
    r.clientId = h.clientId.value_or(QByteArray());
    r.clientHost = m_peerHost;
    m_broker.groups().join(std::move(r), Broker::nowMs(),
                           [h, sink](const GroupCoordinator::JoinResult &result) {
                               QByteArray out = begin(h);
                               Writer w(out);
                               if (h.apiVersion >= 2)
                                   w.i32(0);
                               w.i16(result.error)
                                   .i32(result.generation)
                                   .string(result.protocol)
                                   .string(result.leader)
                                   .string(result.memberId)
                                   .array(std::int32_t(result.members.size()));
                               for (const auto &[id, metadata] : result.members)
                                   w.string(id).bytes(metadata);
                               sink(out);
                           });
    return {Outcome::Kind::Deferred, {}, {}};
}

KafkaHandler::Outcome KafkaHandler::syncGroup(const RequestHeader &h, Reader &in, const Sink &sink)
{
    const QByteArray groupId = in.string();
    const std::int32_t generation = in.i32();
    const QByteArray memberId = in.string();
    std::vector<std::pair<QByteArray, QByteArray>> assignments;
    const std::int32_t count = in.arrayCount(2 + 4);
    for (std::int32_t i = 0; i < count && in.ok(); ++i) {
        QByteArray id = in.string();
        assignments.emplace_back(std::move(id), in.bytes().toByteArray());
    }
    if (!in.ok())
        return {};
    m_broker.groups().sync(groupId, generation, memberId, std::move(assignments), Broker::nowMs(),
                           [h, sink](const GroupCoordinator::SyncResult &result) {
                               QByteArray out = begin(h);
                               Writer w(out);
                               if (h.apiVersion >= 1)
                                   w.i32(0);
                               w.i16(result.error).bytes(result.assignment);
                               sink(out);
                           });
    return {Outcome::Kind::Deferred, {}, {}};
}

QByteArray KafkaHandler::heartbeat(const RequestHeader &h, Reader &in)
{
    const QByteArray groupId = in.string();
    const std::int32_t generation = in.i32();
    const QByteArray memberId = in.string();
    if (!in.ok())
        return {};
    const std::int16_t code =
        m_broker.groups().heartbeat(groupId, generation, memberId, Broker::nowMs());
    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 1)
        w.i32(0);
    w.i16(code);
    return out;
}

QByteArray KafkaHandler::leaveGroup(const RequestHeader &h, Reader &in)
{
    const QByteArray groupId = in.string();
    const QByteArray memberId = in.string();
    if (!in.ok())
        return {};
    const std::int16_t code = m_broker.groups().leave(groupId, memberId, Broker::nowMs());
    QByteArray out = begin(h);
    Writer w(out);
    if (h.apiVersion >= 1)
        w.i32(0);
    w.i16(code);
    return out;
}

QByteArray KafkaHandler::offsetCommit(const RequestHeader &h, Reader &in)
{
    const QByteArray groupId = in.string();
    const std::int32_t generation = in.i32();
    const QByteArray memberId = in.string();
    in.i64(); // retention_time_ms: committed offsets are kept until the group is deleted
    std::vector<std::pair<QByteArray, std::vector<std::int32_t>>> layout;
    std::vector<GroupCoordinator::Commit> commits;
    const std::int32_t topics = in.arrayCount(2 + 4);
    for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
        const QByteArray name = in.string();
        std::vector<std::int32_t> partitions;
        const std::int32_t count = in.arrayCount(4 + 8 + 2);
        for (std::int32_t p = 0; p < count && in.ok(); ++p) {
            GroupCoordinator::Commit c;
            c.topic = name;
            c.partition = in.i32();
            c.offset = in.i64();
            c.metadata = in.nullableString().value_or(QByteArray());
            partitions.push_back(c.partition);
            commits.push_back(std::move(c));
        }
        layout.emplace_back(name, std::move(partitions));
    }
    if (!in.ok())
        return {};
    const std::int16_t code =
        m_broker.groups().commit(groupId, generation, memberId, commits, Broker::nowMs());
    QByteArray out = begin(h);
    Writer w(out);
    w.array(std::int32_t(layout.size()));
    for (const auto &[name, partitions] : layout) {
        w.string(name).array(std::int32_t(partitions.size()));
        for (std::int32_t p : partitions)
            w.i32(p).i16(code);
    }
    return out;
}

QByteArray KafkaHandler::offsetFetch(const RequestHeader &h, Reader &in)
{
    const QByteArray groupId = in.string();
    QByteArray out = begin(h);
    Writer w(out);
    const std::int32_t topics = in.arrayCount(2 + 4);
    w.array(topics);
    for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
        const QByteArray name = in.string();
        const std::int32_t count = in.arrayCount(4);
        w.string(name).array(count);
        for (std::int32_t p = 0; p < count && in.ok(); ++p) {
            const std::int32_t partition = in.i32();
            const auto committed = m_broker.groups().committed(groupId, name, partition);
            w.i32(partition)
                .i64(committed ? committed->offset : -1)
                .nullableString(committed ? std::optional<QByteArray>(committed->metadata)
                                          : std::optional<QByteArray>(QByteArray()))
                .i16(error::None);
        }
    }
    return out;
}

} // namespace rivulet::kafka
