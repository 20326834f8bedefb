#include "server.h"

#include <QThread>

namespace rivulet {

Server::Server(Broker &broker, int workers, QObject *parent) : QTcpServer(parent), m_broker(broker)
{
    const int count = workers > 0 ? workers : std::max(1, QThread::idealThreadCount());
    for (int i = 0; i < count; ++i)
        m_workers.push_back(std::make_unique<Worker>(m_broker, i));
}

Server::~Server()
{
    stop();
}

bool Server::start(const QHostAddress &address, quint16 port)
{
    for (auto &worker : m_workers)
        worker->start();
    if (!listen(address, port)) {
        stop();
        return false;
    }
    return true;
}

void Server::stop()
{
    close();
    for (auto &worker : m_workers)
        worker->stop();
}

int Server::connectionCount() const
{
    int total = 0;
    for (const auto &worker : m_workers)
        total += worker->sessionCount();
    return total;
}

void Server::incomingConnection(qintptr descriptor)
{
    m_workers[m_next]->adopt(descriptor);
    m_next = (m_next + 1) % m_workers.size();
}

} // namespace rivulet
