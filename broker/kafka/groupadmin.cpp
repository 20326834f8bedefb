// Consumer group admin APIs for the tools people point at a Kafka broker (Kafka UI, AKHQ,
// Redpanda Console, the admin clients, kcat): ListGroups, DescribeGroups and DeleteGroups
// (PROTOCOL.md §15.15, §15.16, §15.20).
#include "kafkahandler.h"

#include "broker.h"

#include <algorithm>
#include <limits>

namespace rivulet::kafka {
namespace {

// AclOperation codes READ (3), DELETE (6) and DESCRIBE (8): what a Kafka broker without an
// authorizer reports as allowed on a group.
constexpr std::int32_t kGroupOperations = (1 << 3) | (1 << 6) | (1 << 8);
constexpr std::int32_t kOperationsNotAsked = std::numeric_limits<std::int32_t>::min();

// Every group Rivulet coordinates is a classic one (KIP-848 consumer groups are not
// implemented); ListGroups v5 names the type.
const QByteArray kClassicGroupType = "classic";

// Whether filter is empty (no filter) or holds value, ignoring case, as Kafka compares
// states and types.
bool passes(const std::vector<QByteArray> &filter, const QByteArray &value)
{
    return filter.empty() ||
           std::any_of(filter.begin(), filter.end(), [&](const QByteArray &wanted) {
               return wanted.compare(value, Qt::CaseInsensitive) == 0;
           });
}

} // namespace

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, ListGroupsRequest &request)
{
    // every group the coordinator knows, in name order; states_filter (v4+) and
    // types_filter (v5+) are empty in the versions without them
    ListGroupsResponse response;
    for (const auto &g : m_broker.groups().groups()) {
        const QByteArray state = g.state.toUtf8();
        if (!passes(request.statesFilter, state) || !passes(request.typesFilter, kClassicGroupType))
            continue;
        response.groups.push_back({g.groupId, g.protocolType, state, kClassicGroupType});
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DescribeGroupsRequest &request)
{
    DescribeGroupsResponse response;
    for (QByteArray &id : request.groups) {
        // a group the coordinator does not know is "Dead", without an error, as in Kafka
        const auto g = m_broker.groups().group(id);
        // like Kafka, the protocol, member metadata and assignments only once Stable
        const bool stable = g && g->state == QLatin1String("Stable");
        auto &out = response.groups.emplace_back();
        out.errorCode = error::None;
        out.groupId = std::move(id);
        out.groupState = g ? g->state.toUtf8() : QByteArray("Dead");
        if (g) {
            out.protocolType = g->protocolType;
            if (stable)
                out.protocolData = g->protocol;
            for (const auto &m : g->members)
                out.members.push_back({m.memberId, m.groupInstanceId, // v4+
                                       m.clientId, m.clientHost.toUtf8(),
                                       stable ? m.metadata : QByteArray(),
                                       stable ? m.assignment : QByteArray()});
        }
        out.authorizedOperations =
            request.includeAuthorizedOperations ? kGroupOperations : kOperationsNotAsked;
    }
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, DeleteGroupsRequest &request)
{
    // one answer per name, however often the request repeats it, as Kafka does
    DeleteGroupsResponse response;
    for (const QByteArray &id : request.groupsNames) {
        const bool seen = std::any_of(response.results.begin(), response.results.end(),
                                      [&](const auto &r) { return r.groupId == id; });
        if (!seen)
            response.results.push_back({id, m_broker.groups().deleteGroup(id)});
    }
    return call.respond(response);
}

} // namespace rivulet::kafka
