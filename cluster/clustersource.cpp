#include "clustersource.h"

#include <algorithm>

namespace rivulet {

GroupOutcome ClusterSource::resetGroupOffsets(const QByteArray &groupId, QByteArrayView topic,
                                              ResetTo to, std::int64_t offset, QString &error)
{
    const QList<PartitionRange> ranges = partitionRanges(topic);
    if (ranges.isEmpty()) {
        error = QStringLiteral("no topic %1").arg(QString::fromUtf8(topic));
        return GroupOutcome::UnknownTopic;
    }
    std::map<int, std::int64_t> offsets;
    for (int p = 0; p < ranges.size(); ++p) {
        const PartitionRange &r = ranges[p];
        switch (to) {
        case ResetTo::Earliest:
            offsets[p] = r.startOffset;
            break;
        case ResetTo::Latest:
            offsets[p] = r.endOffset;
            break;
        case ResetTo::Offset:
            offsets[p] = std::clamp(offset, r.startOffset, r.endOffset);
            break;
        }
    }
    return resetGroupOffsets(groupId, topic, offsets, error);
}

} // namespace rivulet
