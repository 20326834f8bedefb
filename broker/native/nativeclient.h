#pragma once

#include "clientcodec.h"

#include <QTcpSocket>

namespace rivulet::native {

// A blocking native-protocol client for tools and tests (no event loop needed): send
// requests, read replies in order. Not for the GUI thread.
class NativeClient
{
public:
    bool connectTo(const QString &host, quint16 port, int timeoutMs = 5000);
    // Asks the broker to explain its errors (SetOptions with kOptionErrorText).
    bool enableErrorText(int timeoutMs = 5000);

    bool send(const QByteArray &request, int timeoutMs = 30000);
    bool readReply(Reply &reply, int timeoutMs = 30000);
    // send + readReply; false on a connection problem (see errorString()), not on an Error
    // reply, which the Reply carries.
    bool call(const QByteArray &request, Reply &reply, int timeoutMs = 30000);

    // Waits for the broker to close the connection (after Quit or a refused request).
    bool waitForClose(int timeoutMs = 5000);
    void close();
    QString errorString() const { return m_error; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
    ReplyParser m_parser;
    QString m_error;
};

} // namespace rivulet::native
