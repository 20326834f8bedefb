#pragma once

#include "connection.h"
#include "native/nativehandler.h"
#include "session.h"

namespace rivulet {

// One native-protocol connection, living in one worker thread: parses as many whole
// requests as have arrived and answers them in order with a single write.
class NativeSession : public Session
{
    Q_OBJECT
public:
    NativeSession(Broker &broker, qintptr descriptor, QObject *parent = nullptr);
    ~NativeSession() override;

    Connection::Expiry sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs) override;

private:
    void processInput();

    Broker &m_broker;
    std::shared_ptr<ClientStats> m_stats;
    Connection m_connection;
    native::RequestParser m_parser;
    std::unique_ptr<native::NativeHandler> m_handler;
    qsizetype m_counted = 0; // input bytes already added to the client's counters
    bool m_closing = false;
};

} // namespace rivulet
