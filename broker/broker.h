#pragma once

#include "log/topicregistry.h"
#include "native/protocol.h"

namespace rivulet {

struct BrokerConfig
{
    std::size_t maxRequestBytes = native::kDefaultMaxRequestBytes;
};

// The broker's state shared by every connection and worker thread: topics and their logs.
class Broker
{
public:
    explicit Broker(BrokerConfig config = {}, LogFactory logFactory = {});

    TopicRegistry &topics() { return m_topics; }
    const TopicRegistry &topics() const { return m_topics; }
    const BrokerConfig &config() const { return m_config; }

    static std::int64_t nowMs();

private:
    BrokerConfig m_config;
    TopicRegistry m_topics;
};

// Keeps every partition in memory (--in-memory).
LogFactory memoryLogFactory();

} // namespace rivulet
