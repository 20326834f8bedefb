// Consumer group membership (PROTOCOL.md §15.7-15.11, §16): FindCoordinator, JoinGroup,
// SyncGroup, Heartbeat and LeaveGroup, answered by the GroupCoordinator. Rivulet is the only
// broker, so it coordinates every group and every transactional id.
//
// Static membership (KIP-345, group_instance_id) and JoinGroup's MEMBER_ID_REQUIRED round trip
// (KIP-394, v4+) are not implemented: group_instance_id is read and otherwise ignored (every
// member is dynamic), and a member without an id gets one in its first JoinGroup, as in v0-v3.
// Kafka clients accept both: the round trip is the broker's choice, and a static member is
// answered as a dynamic one.
#include "kafkahandler.h"

#include "broker.h"

namespace rivulet::kafka {

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, FindCoordinatorRequest &request)
{
    // Every key and key type (0 group, 1 transaction), an empty key included, gets this
    // broker, without an error message (null, not Kafka's "NONE").
    FindCoordinatorResponse response;
    const QByteArray host = m_config.advertisedHost.toUtf8();
    if (call.version() >= 4) {
        // batched (KIP-699): one coordinator per key, in request order
        for (QByteArray &key : request.coordinatorKeys)
            response.coordinators.push_back(
                {std::move(key), m_config.nodeId, host, m_config.port, error::None, std::nullopt});
    } else {
        response.errorCode = error::None;
        response.nodeId = m_config.nodeId;
        response.host = host;
        response.port = m_config.port;
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, JoinGroupRequest &request)
{
    const std::int16_t v = call.version();
    GroupCoordinator::JoinRequest r;
    r.groupId = request.groupId;
    r.sessionTimeoutMs = request.sessionTimeoutMs;
    // v0 has no rebalance timeout: the session timeout serves for both
    r.rebalanceTimeoutMs = v >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs;
    r.memberId = request.memberId;
    r.protocolType = request.protocolType;
    for (auto &p : request.protocols)
        r.protocols.push_back({std::move(p.name), std::move(p.metadata)});
    r.clientId = call.header.clientId.value_or(QByteArray());
    r.clientHost = m_peerHost;
    // group_instance_id (v5+) and reason (v8+) are not used: see the top of this file
    m_broker.groups().join(
        std::move(r), Broker::nowMs(),
        [header = call.header, sink = call.sink,
         protocolType = request.protocolType](const GroupCoordinator::JoinResult &result) {
            JoinGroupResponse response;
            response.errorCode = result.error;
            response.generationId = result.generation;
            response.leader = result.leader;
            response.memberId = result.memberId;
            if (header.apiVersion < 7 || result.error == error::None) {
                // v7+: the group's protocol type and name, null when the join failed (as
                // Kafka); before v7 the name is never null, empty when the join failed.
                // A successful join has the group's protocol type, which is the request's.
                response.protocolName = result.protocol;
                response.protocolType = protocolType;
            }
            for (const auto &[id, metadata] : result.members)
                response.members.push_back({id, std::nullopt, metadata}); // no static members
            // skip_assignment (v9) stays false: the leader always assigns
            sink(encodeResponse(header, response));
        });
    return {Outcome::Kind::Deferred, {}, {}};
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, SyncGroupRequest &request)
{
    std::vector<std::pair<QByteArray, QByteArray>> assignments;
    assignments.reserve(request.assignments.size());
    for (auto &a : request.assignments)
        assignments.emplace_back(std::move(a.memberId), std::move(a.assignment));
    // v5 echoes the protocol type and name. They are the request's: a member that syncs in
    // the current generation got them from that generation's JoinGroup (Kafka would answer
    // 23 INCONSISTENT_GROUP_PROTOCOL to one that sent others; Rivulet does not check).
    m_broker.groups().sync(
        request.groupId, request.generationId, request.memberId, std::move(assignments),
        Broker::nowMs(),
        [header = call.header, sink = call.sink, protocolType = request.protocolType,
         protocolName = request.protocolName](const GroupCoordinator::SyncResult &result) {
            SyncGroupResponse response;
            response.errorCode = result.error;
            response.assignment = result.assignment;
            if (result.error == error::None) { // null on errors, as Kafka
                response.protocolType = protocolType;
                response.protocolName = protocolName;
            }
            sink(encodeResponse(header, response));
        });
    return {Outcome::Kind::Deferred, {}, {}};
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, HeartbeatRequest &request)
{
    HeartbeatResponse response;
    response.errorCode = m_broker.groups().heartbeat(request.groupId, request.generationId,
                                                     request.memberId, Broker::nowMs());
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, LeaveGroupRequest &request)
{
    LeaveGroupResponse response;
    if (call.version() <= 2) {
        // one member; an unknown group or member (an empty group id included) gets 25
        response.errorCode =
            m_broker.groups().leave(request.groupId, request.memberId, Broker::nowMs());
        return call.respond(response);
    }
    // v3+, a batch (KIP-345): each member leaves in turn with its own error code; the
    // top-level error is only for errors of the whole group, as in Kafka, where an unknown
    // group answers 0 with 25 for every member.
    if (request.groupId.isEmpty()) {
        response.errorCode = error::InvalidGroupId;
        return call.respond(response);
    }
    for (auto &m : request.members) {
        // a member named only by its group_instance_id is not found: no static members
        const std::int16_t code =
            m_broker.groups().leave(request.groupId, m.memberId, Broker::nowMs());
        response.members.push_back({std::move(m.memberId), std::move(m.groupInstanceId), code});
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
