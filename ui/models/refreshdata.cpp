#include "refreshdata.h"

#include "clustersource.h"

#include <QDateTime>
#include <QElapsedTimer>

namespace rivulet {

std::shared_ptr<const RefreshData> prepareRefresh(ClusterSource &source, std::uint64_t sequence)
{
    QElapsedTimer timer;
    timer.start();
    auto data = std::make_shared<RefreshData>();
    data->sequence = sequence;
    data->takenMs = QDateTime::currentMSecsSinceEpoch();
    // topics, clients, groups and the connection counts
    if (source.snapshot(data->snapshot, data->error)) {
        data->error.clear();
        data->consumers = ConsumersModel::rowsOf(data->snapshot);
    } else {
        data->snapshot = BrokerSnapshot();
        if (data->error.isEmpty())
            data->error = QStringLiteral("no answer");
    }
    data->prepareNs = timer.nsecsElapsed();
    return data;
}

} // namespace rivulet
