#pragma once

#include "worker.h"

#include <QHostAddress>
#include <QTcpServer>

#include <memory>
#include <vector>

namespace rivulet {

// Accepts native-protocol connections and deals them round-robin to worker threads.
class Server : public QTcpServer
{
    Q_OBJECT
public:
    // workers <= 0 means one per core.
    Server(Broker &broker, int workers, QObject *parent = nullptr);
    ~Server() override;

    // Starts the workers and listens; on failure errorString() says why.
    bool start(const QHostAddress &address, quint16 port);
    // Stops accepting, closes every connection and joins the worker threads.
    void stop();

    int workerCount() const { return int(m_workers.size()); }
    int connectionCount() const;

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    Broker &m_broker;
    std::vector<std::unique_ptr<Worker>> m_workers;
    std::size_t m_next = 0;
};

} // namespace rivulet
