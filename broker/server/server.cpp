#include "server.h"

#include "broker.h"
#include "kafkasession.h"
#include "nativesession.h"

#include <QThread>
#include <QTimer>

namespace rivulet {

Server::Server(Broker &broker, int workers, QObject *parent)
    : QTcpServer(parent), m_broker(broker), m_protocol(Protocol::Native)
{
    createWorkers(workers);
}

Server::Server(Broker &broker, int workers, const kafka::KafkaConfig &kafka, QObject *parent)
    : QTcpServer(parent), m_broker(broker), m_protocol(Protocol::Kafka),
      m_kafka(std::make_shared<kafka::KafkaConfig>(kafka))
{
    createWorkers(workers);
    // consumer groups need a clock: session timeouts and rebalance waits
    m_groupTimer = new QTimer(this);
    connect(m_groupTimer, &QTimer::timeout, this,
            [this] { m_broker.groups().tick(Broker::nowMs()); });
}

void Server::createWorkers(int workers)
{
    const int count = workers > 0 ? workers : std::max(1, QThread::idealThreadCount());
    for (int i = 0; i < count; ++i) {
        SessionFactory factory;
        if (m_protocol == Protocol::Native)
            factory = [this](qintptr fd, QObject *parent) -> Session * {
                return new NativeSession(m_broker, fd, parent);
            };
        else
            factory = [this](qintptr fd, QObject *parent) -> Session * {
                std::shared_ptr<const kafka::KafkaConfig> config;
                {
                    std::lock_guard lock(m_kafkaMutex);
                    config = m_kafka;
                }
                return new KafkaSession(m_broker, std::move(config), fd, parent);
            };
        m_workers.push_back(std::make_unique<Worker>(std::move(factory), i));
    }
}

Server::~Server()
{
    stop();
}

bool Server::start(const QHostAddress &address, quint16 port)
{
    for (auto &worker : m_workers)
        worker->start();
    // On failure the workers keep running, so that listen() can be tried again on another
    // port (the window offers that); the destructor stops them.
    if (!listen(address, port))
        return false;
    if (m_kafka && m_kafka->port == 0)
        advertisePort(serverPort());
    if (m_groupTimer)
        m_groupTimer->start(100);
    return true;
}

bool Server::listenAgain(const QHostAddress &address, quint16 port)
{
    close();
    if (!listen(address, port))
        return false;
    if (m_kafka)
        advertisePort(serverPort());
    return true;
}

void Server::advertisePort(quint16 port)
{
    std::lock_guard lock(m_kafkaMutex);
    auto config = std::make_shared<kafka::KafkaConfig>(*m_kafka);
    config->port = port;
    m_kafka = std::move(config);
}

void Server::stop()
{
    if (m_groupTimer)
        m_groupTimer->stop();
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
