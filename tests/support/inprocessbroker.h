#pragma once

// A Broker and its native Server in the test's own process, listening on 127.0.0.1 port 0.
// A test class inherits it (after QObject) and calls stopBroker() from its cleanup() slot.
// Header-only; include it from tests/tst_*.cpp.

#include "broker.h"
#include "server/server.h"

#include <QHostAddress>

#include <memory>

namespace rivulet::testsupport {

class InProcessBroker
{
protected:
    std::unique_ptr<Broker> m_broker;
    std::unique_ptr<Server> m_server;
    quint16 m_port = 0;

    bool startBroker(BrokerConfig config = {}, int workers = 2)
    {
        m_broker = std::make_unique<Broker>(config);
        m_server = std::make_unique<Server>(*m_broker, workers);
        if (!m_server->start(QHostAddress::LocalHost, 0)) {
            qWarning("cannot start the server: %s", qPrintable(m_server->errorString()));
            return false;
        }
        m_port = m_server->serverPort();
        return true;
    }

    void stopBroker()
    {
        if (m_server)
            m_server->stop();
        m_server.reset();
        m_broker.reset();
    }
};

} // namespace rivulet::testsupport
