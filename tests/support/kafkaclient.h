// A Kafka client on the test's thread for the tst_kafka* tests (KafkaClient: it frames and
// waits, it parses nothing), and the in-memory broker with a Kafka listener on 127.0.0.1
// (port 0) it talks to (KafkaServerFixture). Every wait runs this thread's event loop, which
// the server needs to accept connections and to tick the group coordinator, while the
// server's workers run in their own threads.
#pragma once

#include "eventloop.h"
#include "kafkaapis.h"
#include "kafkawire.h"
#include "timeouts.h"

#include "broker.h"
#include "kafka/kafkahandler.h"
#include "log/compression.h"
#include "server/server.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace rivulet::testing {

// Bounds every wait in these tests; generous because the machines running them are shared.
using testsupport::kTimeoutMs;
constexpr std::int32_t kNodeId = 3;
inline const QByteArray kClusterId = "tst-kafka-cluster";

// Runs the event loop until pred() holds, waking early on the socket's signals.
using testsupport::waitUntil;

// A Kafka client on the test's thread. Nothing is parsed for it: it only frames.
class KafkaClient
{
public:
    bool connectTo(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        waitUntil(
            [this] {
                return m_socket.state() == QAbstractSocket::ConnectedState ||
                       m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            kTimeoutMs, &m_socket);
        if (m_socket.state() != QAbstractSocket::ConnectedState)
            return fail(QStringLiteral("cannot connect: %1").arg(m_socket.errorString()));
        return true;
    }

    void send(const QByteArray &bytes)
    {
        m_sent += bytes;
        m_socket.write(bytes);
    }

    // Sends a request with header v1; returns its correlation id.
    std::int32_t sendRequest(std::int16_t key, std::int16_t version, const QByteArray &body,
                             const std::optional<QByteArray> &clientId = kClientId)
    {
        const std::int32_t id = m_nextCorrelation++;
        send(requestFrame(key, version, id, body, clientId));
        return id;
    }

    // One whole response frame, without its size: correlation id + body.
    bool readFrame(QByteArray &frame, int timeoutMs = kTimeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            pull();
            if (m_buffer.size() >= 4) {
                const std::int32_t size = In(m_buffer.left(4)).i32();
                if (size < 4)
                    return fail(QStringLiteral("response size %1").arg(size));
                if (m_buffer.size() >= 4 + size) {
                    frame = m_buffer.mid(4, size);
                    m_buffer.remove(0, 4 + size);
                    return true;
                }
            }
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return fail(QStringLiteral("the broker closed the connection before a whole "
                                           "response"));
            if (!waitUntil(
                    [this] {
                        return m_socket.bytesAvailable() > 0 ||
                               m_socket.state() != QAbstractSocket::ConnectedState;
                    },
                    int(deadline.remainingTime()), &m_socket))
                return fail(QStringLiteral("no whole response within %1 ms").arg(timeoutMs));
        }
    }

    // The next response, which must answer correlationId; body is what follows the id.
    bool readResponse(std::int32_t correlationId, QByteArray &body, int timeoutMs = kTimeoutMs)
    {
        QByteArray frame;
        if (!readFrame(frame, timeoutMs))
            return false;
        const std::int32_t got = In(frame.left(4)).i32();
        if (frame.size() < 4 || got != correlationId)
            return fail(QStringLiteral("expected the answer to correlation id %1, got frame %2")
                            .arg(correlationId)
                            .arg(hex(frame)));
        body = frame.mid(4);
        m_lastResponse = body;
        return true;
    }

    bool call(std::int16_t key, std::int16_t version, const QByteArray &request, QByteArray &body)
    {
        m_sent.clear();
        const std::int32_t id = sendRequest(key, version, request);
        return readResponse(id, body);
    }

    // True once the broker has closed the connection; what it sent stays in buffer().
    bool waitClosed(int timeoutMs = kTimeoutMs)
    {
        const bool closed = waitUntil(
            [this] {
                pull();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs, &m_socket);
        pull();
        return closed || fail(QStringLiteral("the broker kept the connection open"));
    }

    // True if the connection stays open and silent for ms.
    bool staysQuiet(int ms)
    {
        waitUntil(
            [this] {
                pull();
                return !m_buffer.isEmpty() || m_socket.state() != QAbstractSocket::ConnectedState;
            },
            ms, &m_socket);
        if (!m_buffer.isEmpty())
            return fail(QStringLiteral("unexpected bytes: %1").arg(hex(m_buffer)));
        if (m_socket.state() != QAbstractSocket::ConnectedState)
            return fail(QStringLiteral("the broker closed the connection"));
        return true;
    }

    QTcpSocket &socket() { return m_socket; }
    QByteArray &buffer() { return m_buffer; }
    // What went wrong, with the bytes of the last exchange.
    QString error() const
    {
        return QStringLiteral("%1\n   sent: %2\n   unread: %3")
            .arg(m_error, hex(m_sent), hex(m_buffer));
    }

private:
    void pull() { m_buffer += m_socket.readAll(); }
    bool fail(const QString &why)
    {
        m_error = why;
        return false;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_sent;
    QByteArray m_lastResponse;
    QString m_error;
    std::int32_t m_nextCorrelation = 1000;
};

// The broker and its Kafka listener that one test function talks to: the function calls
// start(), the test class's cleanup() calls stop(). A test class derives from QObject first,
// then from this.
class KafkaServerFixture
{
protected:
    std::unique_ptr<Broker> m_broker;
    std::unique_ptr<Server> m_server;
    quint16 m_port = 0;

    bool start(bool autoCreate = true,
               qsizetype maxMessageBytes = compression::kDefaultMaxInflatedBytes)
    {
        BrokerConfig config;
        config.groupInitialRebalanceDelayMs = 100;
        config.maxMessageBytes = maxMessageBytes;
        m_broker = std::make_unique<Broker>(config);
        kafka::KafkaConfig kafka;
        kafka.nodeId = kNodeId;
        kafka.port = 0;
        kafka.clusterId = kClusterId;
        kafka.autoCreateTopics = autoCreate;
        kafka.defaultPartitions = 1;
        m_server = std::make_unique<Server>(*m_broker, 2, kafka);
        if (!m_server->start(QHostAddress::LocalHost, 0)) {
            qWarning("cannot start the server: %s", qPrintable(m_server->errorString()));
            return false;
        }
        m_port = m_server->serverPort();
        return true;
    }

    // A fresh connection answers ApiVersions v0 correctly (after bad input elsewhere).
    bool brokerStillAnswers(QString &why)
    {
        KafkaClient c;
        QByteArray body;
        if (!c.connectTo(m_port) || !c.call(api::ApiVersions, 0, {}, body)) {
            why = c.error();
            return false;
        }
        const auto v = parseApiVersions(body, false);
        if (!v || v->error != 0 || !rangeProblems(v->ranges).isEmpty()) {
            why = QStringLiteral("bad ApiVersions answer: %1").arg(hex(body));
            return false;
        }
        return true;
    }

    // ListOffsets v1 for -1 (high watermark) or -2 (log start); nullopt on any error.
    std::optional<std::int64_t> listOffset(KafkaClient &c, const QByteArray &topic,
                                           std::int32_t partition, std::int64_t which)
    {
        QByteArray body;
        if (!c.call(api::ListOffsets, 1, listOffsetsBody(1, topic, {{partition, which}}), body))
            return std::nullopt;
        In in(body);
        if (in.count() != 1 || in.str() != topic || in.count() != 1 || in.i32() != partition ||
            in.i16() != 0)
            return std::nullopt;
        in.i64(); // timestamp
        const std::int64_t offset = in.i64();
        if (!in.atEnd())
            return std::nullopt;
        return offset;
    }

    std::vector<Rec> sampleRecords() const
    {
        return {
            {"k1", "v1", {{"h1", "a"}, {"h2", "b"}}},
            {std::nullopt, "value two", {}},
            {"k3", std::nullopt, {{"empty", ""}}},
        };
    }

    void stop()
    {
        if (m_server)
            m_server->stop();
        m_server.reset();
        m_broker.reset();
    }
};

} // namespace rivulet::testing
