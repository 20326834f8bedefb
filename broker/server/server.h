#pragma once

#include "kafka/kafkahandler.h"
#include "worker.h"

#include <QHostAddress>
#include <QTcpServer>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

class QSocketNotifier;
class QTimer;

namespace rivulet {

class Broker;

// Accepts connections for one protocol and deals them round-robin to worker threads. Over
// the broker's --max-connections a new connection is closed at once. Out of descriptors
// (EMFILE/ENFILE) it says so once, keeps serving the open connections, stops watching the
// listening socket and tries again every kAcceptRetryMs and whenever a connection closes.
class Server : public QTcpServer
{
    Q_OBJECT
public:
    enum class Protocol
    {
        Native,
        Kafka
    };

    // A native-protocol server; workers <= 0 means one per core.
    Server(Broker &broker, int workers, QObject *parent = nullptr);
    // A Kafka-protocol server. The port in kafka is what Metadata advertises; start() fills
    // it in when it was 0.
    Server(Broker &broker, int workers, const kafka::KafkaConfig &kafka, QObject *parent = nullptr);
    ~Server() override;

    // Starts the workers and listens; on failure errorString() says why, and the workers
    // stay up so that listen() may be tried again.
    bool start(const QHostAddress &address, quint16 port);
    // Stops accepting, closes every connection and joins the worker threads.
    void stop();
    // QTcpServer's, hidden (they are not virtual): this class accepts on its own socket
    // notifier instead of Qt's, which retries accept() in a busy loop on EMFILE.
    bool listen(const QHostAddress &address, quint16 port);
    void close();

    static constexpr int kAcceptRetryMs = 250;
    // The listen backlog: the system's maximum (/proc/sys/net/core/somaxconn), or this when
    // it cannot be read.
    static constexpr int kFallbackListenBacklog = 4096;
    static int systemListenBacklog();
    static constexpr int kAcceptBatch = 64; // accepts per wake-up
    // At most one "refused" line per this long, with the count since the last one.
    static constexpr int kRefusalLogMs = 10000;
    // Listens on another address/port instead (the window's "Listen on other ports"); the
    // connections already open stay. A Kafka server advertises the new port to the
    // connections made from then on. False (errorString() says why) leaves it not listening.
    bool listenAgain(const QHostAddress &address, quint16 port);

    Protocol protocol() const { return m_protocol; }
    // A Kafka server's listener security (PLAINTEXT for a native one).
    SecurityProtocol security() const;
    int workerCount() const { return int(m_workers.size()); }
    int connectionCount() const;
    // True while accepting waits for descriptors to free up.
    bool isOutOfDescriptors() const { return m_outOfDescriptors; }

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    void createWorkers(int workers);
    void acceptPending();
    void pauseAcceptingFor(int error);
    void retryAccepting();
    const char *protocolName() const;
    void refuse(qintptr descriptor);
    // What a Kafka server's Metadata tells clients from now on.
    void advertisePort(quint16 port);

    Broker &m_broker;
    Protocol m_protocol;
    // shared with the sessions; replaced (never changed in place) by listenAgain(), under
    // m_kafkaMutex, as worker threads read it when they make a session
    std::shared_ptr<const kafka::KafkaConfig> m_kafka;
    mutable std::mutex m_kafkaMutex;
    std::vector<std::unique_ptr<Worker>> m_workers;
    std::size_t m_next = 0;
    QTimer *m_groupTimer = nullptr;
    QTimer *m_acceptRetry = nullptr;
    QSocketNotifier *m_acceptNotifier = nullptr; // on the listening socket while listening
    std::atomic<bool> m_acceptPaused{false};     // read by the workers when a connection closes
    bool m_outOfDescriptors = false;             // logged once per episode
    std::uint64_t m_refusedLogged = 0;           // refusals already counted in a log line
    qint64 m_lastRefusalLogMs = -kRefusalLogMs;
};

} // namespace rivulet
