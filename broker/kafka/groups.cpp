// Consumer group membership (PROTOCOL.md §15.7-15.11, §16): FindCoordinator, JoinGroup,
// SyncGroup, Heartbeat and LeaveGroup, answered by the GroupCoordinator. Rivulet is the only
// broker, so it coordinates every group and every transactional id.
//
// Static membership (KIP-345): a member with a group_instance_id (JoinGroup v5+, SyncGroup and
// Heartbeat v3+, LeaveGroup v3+, OffsetCommit v7+) keeps its place across restarts, and an
// old member id of its instance is fenced (82). JoinGroup v4+ has the MEMBER_ID_REQUIRED
// round trip (KIP-394) for dynamic members; before v4 a member without an id gets one at once.
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
    r.groupInstanceId = std::move(request.groupInstanceId); // null before v5
    r.requireKnownMemberId = v >= 4;
    r.supportsSkipAssignment = v >= 9;
    // reason (v8+) is not used
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
            for (const auto &m : result.members)
                response.members.push_back({m.memberId, m.groupInstanceId, m.metadata});
            // v9: true only for a static leader back in a stable group (it keeps the
            // current assignment)
            response.skipAssignment = result.skipAssignment;
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
        },
        request.groupInstanceId); // null before v3
    return {Outcome::Kind::Deferred, {}, {}};
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, HeartbeatRequest &request)
{
    HeartbeatResponse response;
    response.errorCode =
        m_broker.groups().heartbeat(request.groupId, request.generationId, request.memberId,
                                    Broker::nowMs(), request.groupInstanceId); // null before v3
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
    // A member is named by its id, by its group_instance_id alone (member id empty), or by
    // both (then they must match: 82 if the instance id now belongs to another member id).
    std::vector<GroupCoordinator::LeaveMember> leaving;
    for (const auto &m : request.members)
        leaving.push_back({m.memberId, m.groupInstanceId});
    const std::vector<std::int16_t> codes =
        m_broker.groups().leave(request.groupId, leaving, Broker::nowMs());
    for (std::size_t i = 0; i < request.members.size(); ++i) {
        auto &m = request.members[i];
        response.members.push_back({std::move(m.memberId), std::move(m.groupInstanceId), codes[i]});
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
