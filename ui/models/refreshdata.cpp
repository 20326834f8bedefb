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
    data->snapshot = broker.snapshot(); // topics, clients and the connection counts
    data->groups = broker.groups().groups();
    data->consumers = ConsumersModel::rowsOf(data->snapshot, data->groups);
    data->prepareNs = timer.nsecsElapsed();
    return data;
}

} // namespace rivulet
