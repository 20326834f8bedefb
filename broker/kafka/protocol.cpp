#include "protocol.h"

namespace rivulet::kafka {

std::optional<ApiRange> supportedRange(std::int16_t apiKey)
{
    for (const ApiRange &r : kSupportedApis)
        if (std::int16_t(r.key) == apiKey)
            return r;
    return std::nullopt;
}

const char *apiName(std::int16_t apiKey)
{
    switch (ApiKey(apiKey)) {
    case ApiKey::Produce:
        return "Produce";
    case ApiKey::Fetch:
        return "Fetch";
    case ApiKey::ListOffsets:
        return "ListOffsets";
    case ApiKey::Metadata:
        return "Metadata";
    case ApiKey::OffsetCommit:
        return "OffsetCommit";
    case ApiKey::OffsetFetch:
        return "OffsetFetch";
    case ApiKey::FindCoordinator:
        return "FindCoordinator";
    case ApiKey::JoinGroup:
        return "JoinGroup";
    case ApiKey::Heartbeat:
        return "Heartbeat";
    case ApiKey::LeaveGroup:
        return "LeaveGroup";
    case ApiKey::SyncGroup:
        return "SyncGroup";
    case ApiKey::ApiVersions:
        return "ApiVersions";
    case ApiKey::CreateTopics:
        return "CreateTopics";
    case ApiKey::DescribeGroups:
        return "DescribeGroups";
    case ApiKey::ListGroups:
        return "ListGroups";
    case ApiKey::DeleteTopics:
        return "DeleteTopics";
    case ApiKey::DeleteGroups:
        return "DeleteGroups";
    case ApiKey::DescribeConfigs:
        return "DescribeConfigs";
    case ApiKey::AlterConfigs:
        return "AlterConfigs";
    case ApiKey::IncrementalAlterConfigs:
        return "IncrementalAlterConfigs";
    }
    return "unknown";
}

} // namespace rivulet::kafka
