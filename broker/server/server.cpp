#include "server.h"

#include "broker.h"
#include "kafkasession.h"
#include "nativesession.h"
#include "tlssession.h"

#include <QDateTime>
#include <QFile>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

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
    m_acceptRetry = new QTimer(this);
    m_acceptRetry->setSingleShot(true);
    connect(m_acceptRetry, &QTimer::timeout, this, &Server::retryAccepting);
    // runs in a worker thread each time a connection is gone
    const auto sessionEnded = [this] {
        m_broker.connections().closed();
        if (m_acceptPaused.load(std::memory_order_acquire))
            QMetaObject::invokeMethod(this, &Server::retryAccepting, Qt::QueuedConnection);
    };
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
                if (usesTls(config->security))
                    return new TlsSession(m_broker, std::move(config), fd, parent);
                return new KafkaSession(m_broker, std::move(config), fd, parent);
            };
        m_workers.push_back(std::make_unique<Worker>(
            std::move(factory), i, sessionEnded,
            Timeouts{m_broker.config().requestTimeoutMs, m_broker.config().idleTimeoutMs}));
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

int Server::systemListenBacklog()
{
    // the kernel caps listen()'s backlog at somaxconn anyway; Qt's default is 50, which
    // drops SYNs of a burst of connects (5,000 took 72 s through SYN retries)
    QFile file(QStringLiteral("/proc/sys/net/core/somaxconn"));
    bool ok = false;
    int value = 0;
    if (file.open(QIODevice::ReadOnly))
        value = file.readAll().trimmed().toInt(&ok);
    return ok && value > 0 ? value : kFallbackListenBacklog;
}

bool Server::listen(const QHostAddress &address, quint16 port)
{
    setListenBacklogSize(systemListenBacklog());
    if (!QTcpServer::listen(address, port))
        return false;
    // Qt's own accept loop takes EMFILE for a temporary error and, the listening socket
    // staying readable, calls accept() again at once, for ever: accepting is done here.
    QTcpServer::pauseAccepting();
    delete m_acceptNotifier;
    m_acceptNotifier = new QSocketNotifier(socketDescriptor(), QSocketNotifier::Read, this);
    connect(m_acceptNotifier, &QSocketNotifier::activated, this, &Server::acceptPending);
    return true;
}

void Server::close()
{
    delete m_acceptNotifier; // before its descriptor goes
    m_acceptNotifier = nullptr;
    m_acceptRetry->stop();
    m_acceptPaused.store(false, std::memory_order_release);
    QTcpServer::close();
}

void Server::acceptPending()
{
    // a bounded batch: the notifier fires again on the next pass while more are waiting
    for (int i = 0; i < kAcceptBatch && m_acceptNotifier; ++i) {
        const int fd = ::accept4(int(socketDescriptor()), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
            incomingConnection(fd);
            continue;
        }
        switch (errno) {
        case EINTR:
        case ECONNABORTED: // the client gave up before we took it
        case EPROTO:
            continue;
        case EAGAIN:
#if EAGAIN != EWOULDBLOCK
        case EWOULDBLOCK:
#endif
            return;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            pauseAcceptingFor(errno);
            return;
        default:
            // Linux also passes on network errors of the new connection (ENETDOWN,
            // EHOSTUNREACH, ...): that connection is gone, the next one may be fine
            qWarning("rivulet: accepting a %s connection failed: %s", protocolName(),
                     strerror(errno));
            continue;
        }
    }
}

void Server::pauseAcceptingFor(int error)
{
    m_acceptNotifier->setEnabled(false);
    m_acceptPaused.store(true, std::memory_order_release);
    if (!m_outOfDescriptors) {
        m_outOfDescriptors = true;
        qWarning("rivulet: cannot accept %s connections: %s (%d open); serving the open ones "
                 "and accepting again when descriptors free up",
                 protocolName(), strerror(error), m_broker.connections().open());
    }
    m_acceptRetry->start(kAcceptRetryMs);
}

void Server::retryAccepting()
{
    if (!m_acceptPaused.exchange(false, std::memory_order_acq_rel) || !m_acceptNotifier)
        return;
    m_acceptRetry->stop();
    m_acceptNotifier->setEnabled(true);
}

SecurityProtocol Server::security() const
{
    std::lock_guard lock(m_kafkaMutex);
    return m_kafka ? m_kafka->security : SecurityProtocol::Plaintext;
}

const char *Server::protocolName() const
{
    return m_protocol == Protocol::Native ? "native" : "Kafka";
}

void Server::incomingConnection(qintptr descriptor)
{
    if (m_outOfDescriptors) {
        m_outOfDescriptors = false;
        qWarning("rivulet: accepting %s connections again (%d open)", protocolName(),
                 m_broker.connections().open());
    }
    if (!m_broker.connections().tryOpen()) {
        refuse(descriptor);
        return;
    }
    m_workers[m_next]->adopt(descriptor);
    m_next = (m_next + 1) % m_workers.size();
}

void Server::refuse(qintptr descriptor)
{
    ::close(int(descriptor));
    const ConnectionLimit &limit = m_broker.connections();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (now - m_lastRefusalLogMs < kRefusalLogMs)
        return; // counted; the next line says how many
    const std::uint64_t refused = limit.refused() - m_refusedLogged;
    m_refusedLogged = limit.refused();
    m_lastRefusalLogMs = now;
    qWarning("rivulet: closed %llu new %s connection%s at once: %d connections are open, the "
             "most --max-connections allows (%d)",
             static_cast<unsigned long long>(refused), protocolName(), refused == 1 ? "" : "s",
             limit.open(), limit.max());
}

} // namespace rivulet
