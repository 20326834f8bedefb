#pragma once

#include "connection.h"
#include "native/nativehandler.h"
#include "session.h"

#include <memory>
#include <mutex>

namespace rivulet {

// One native-protocol connection, living in one worker thread: parses as many whole
// requests as have arrived and answers them in order with a single write. A Consume that
// has to decompress stored batches is answered off the worker (Broker::runOffWorker): the
// session sends the answers before it, parks (reads and handles nothing more), and goes on
// when that answer is back, so answers keep their order.
class NativeSession : public Session
{
    Q_OBJECT
public:
    NativeSession(Broker &broker, qintptr descriptor, QObject *parent = nullptr);
    ~NativeSession() override;

    Connection::Expiry sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs) override;

private:
    // Lets a pool thread hand the parked answer back while this session exists.
    struct Handle
    {
        std::mutex mutex;
        NativeSession *session = nullptr;
    };

    void processInput();
    // Answers request (a Consume that decompresses) on the broker's pool.
    void park(const native::Request &request, qint64 replyRoom);
    void unpark(const QByteArray &reply, bool close);

    Broker &m_broker;
    std::shared_ptr<ClientStats> m_stats;
    std::shared_ptr<Handle> m_handle;
    Connection m_connection;
    native::RequestParser m_parser;
    // shared with a parked request's task, which may outlive the session
    std::shared_ptr<native::NativeHandler> m_handler;
    qsizetype m_counted = 0; // input bytes already added to the client's counters
    bool m_parked = false;
    bool m_closing = false;
};

} // namespace rivulet
