#include "refreshdata.h"

#include "broker.h"

#include <QElapsedTimer>

namespace rivulet {

std::shared_ptr<const RefreshData> prepareRefresh(Broker &broker, std::uint64_t sequence)
{
    QElapsedTimer timer;
    timer.start();
    auto data = std::make_shared<RefreshData>();
    data->sequence = sequence;
    data->snapshot = broker.snapshot(); // topics, clients, groups and the connection counts
    data->consumers = ConsumersModel::rowsOf(data->snapshot);
    data->prepareNs = timer.nsecsElapsed();
    return data;
}

} // namespace rivulet
