#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

class QSocketNotifier;
class QTimer;

namespace rivulet {

// A TCP connection on its raw, non-blocking descriptor, driven by socket notifiers in the
// owning thread. Compared with QTcpSocket it reads straight into the buffer the parser
// works on, writes replies with one send(2) and no extra copy when the socket takes them,
// and keeps serving after the peer half-closes (shutdown(SHUT_WR)): requests already
// received are still answered before the connection closes.
class Connection : public QObject
{
    Q_OBJECT
public:
    // Stop reading while this much output waits (TCP back-pressure on the peer); resume
    // below half of it.
    static constexpr qsizetype kMaxPendingWrite = 16 << 20;
    // Read at most this much per notification, so one busy peer cannot starve the others
    // on the same worker.
    static constexpr qsizetype kReadChunk = 256 << 10;
    // How long a closing connection waits for the peer to take the last reply and close.
    static constexpr int kLingerMs = 2000;

    Connection(qintptr descriptor, QObject *parent = nullptr);
    ~Connection() override;

    QString peerHost() const { return m_peerHost; }
    QString peerName() const; // host:port, IPv6 hosts in brackets

    // Bytes received and not yet consumed; consume() drops them from the front.
    const char *data() const { return m_in.constData() + m_inStart; }
    qsizetype size() const { return m_in.size() - m_inStart; }
    void consume(qsizetype n);
    // True once the peer has closed its sending side: nothing more will arrive.
    bool inputEnded() const { return m_inputEnded; }

    void write(const QByteArray &bytes);
    qsizetype pendingWrite() const { return m_out.size() - m_outStart; }
    // True while output is backed up: the session should stop producing replies.
    bool isBlocked() const { return m_blocked; }
    // Stops delivering input (the session waits for something, e.g. a deferred answer).
    void setPaused(bool paused);
    // Sends what is pending, shuts the sending side, discards further input and closes
    // when the peer closes or after kLingerMs.
    void closeGracefully();
    void abort();

Q_SIGNALS:
    void readyRead(); // new input, or input ended
    void closed();    // the connection is over; emitted once

private:
    void onReadable();
    void onWritable();
    void flush();
    void updateNotifiers();
    void finish();

    int m_fd;
    QString m_peerHost;
    quint16 m_peerPort = 0;
    QSocketNotifier *m_readNotifier;
    QSocketNotifier *m_writeNotifier;
    QTimer *m_lingerTimer = nullptr;
    QByteArray m_in;
    qsizetype m_inStart = 0;
    QByteArray m_out;
    qsizetype m_outStart = 0;
    bool m_inputEnded = false;
    bool m_paused = false;
    bool m_blocked = false; // back-pressure: too much output waiting
    bool m_closing = false;
    bool m_finished = false;
};

} // namespace rivulet
