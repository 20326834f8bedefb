#pragma once

#include "native/nativehandler.h"
#include "session.h"

#include <QTcpSocket>

namespace rivulet {

// One native-protocol connection, living in one worker thread: reads bytes, parses as
// many whole requests as have arrived, answers them in order with a single write.
class NativeSession : public Session
{
    Q_OBJECT
public:
    // Stop reading requests while this much reply data waits to go out: a client that
    // sends without reading gets TCP back-pressure instead of growing our memory.
    static constexpr qint64 kMaxPendingWrite = 16 << 20;
    // How long a refused or quitting client may take to close its end before we reset it.
    static constexpr int kLingerMs = 2000;

    NativeSession(Broker &broker, qintptr descriptor, QObject *parent = nullptr);
    ~NativeSession() override;
    bool isOpen() const { return m_socket.state() == QAbstractSocket::ConnectedState; }

private:
    void onReadyRead();
    void processInput();
    void closeAfterWrite();
    void emitFinished();

    Broker &m_broker;
    std::shared_ptr<ClientStats> m_stats;
    QTcpSocket m_socket;
    native::RequestParser m_parser;
    std::unique_ptr<native::NativeHandler> m_handler;
    QByteArray m_in;
    qsizetype m_inStart = 0; // bytes of m_in already consumed
    bool m_closing = false;
    bool m_finished = false;
};

} // namespace rivulet
