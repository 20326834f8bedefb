#include "broker.h"

#include "log/memorylog.h"

#include <QDateTime>

namespace rivulet {

LogFactory memoryLogFactory()
{
    return [](const QString &, int) { return std::make_unique<MemoryLog>(); };
}

Broker::Broker(BrokerConfig config, LogFactory logFactory)
    : m_config(config), m_topics(logFactory ? std::move(logFactory) : memoryLogFactory())
{
}

std::int64_t Broker::nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace rivulet
