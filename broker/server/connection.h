#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

#include "bufferbudget.h"

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
    // Read at most this much per notification, so one busy peer cannot starve the others
    // on the same worker.
    static constexpr qsizetype kReadChunk = 256 << 10;
    // One recv(2) reads at most this much.
    static constexpr qsizetype kReadStep = 64 << 10;
    // How long a closing connection waits for the peer to take the last reply and close.
    static constexpr int kLingerMs = 2000;

    // Stops reading while maxQueuedReplyBytes of output wait (TCP back-pressure on the
    // peer) and resumes below half of it. budget, when given, counts what this connection
    // holds (input and output) and makes it wait while the broker's total is over its maximum
    // (BufferBudget says how).
    Connection(qintptr descriptor, qint64 maxQueuedReplyBytes = qint64(4) << 20,
               BufferBudget *budget = nullptr, QObject *parent = nullptr);
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
    // How many more reply bytes may be queued now (0 when blocked). A session builds no
    // reply bigger than this or BufferBudget::kFloorBytes, whichever is larger, except to
    // carry the first record or batch (so that a client always makes progress).
    qint64 replyRoom() const;
    // Stops delivering input (the session waits for something, e.g. a deferred answer).
    void setPaused(bool paused);
    // Sends what is pending, shuts the sending side, discards further input and closes
    // when the peer closes or after kLingerMs.
    void closeGracefully();
    void abort();

    // What sweep() found.
    enum class Expiry
    {
        None,
        RequestTimedOut, // a request begun and not finished within the request timeout
        Idle,            // nothing sent either way for the idle timeout
    };
    // Called by the worker's coarse timer (Worker::sweep) every interval, with a monotonic
    // clock: checks the two timeouts (0 = off) and, under back-pressure, whether reading can
    // resume. busy means the session is working on a request (a Kafka Fetch waiting for
    // data, a deferred answer): neither clock runs then, nor while the peer is slow to take
    // replies. The times are as coarse as the interval; nothing here reads a clock per
    // read or write, and an idle connection costs one call per interval.
    Expiry sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs, bool busy);

Q_SIGNALS:
    void readyRead(); // new input, or input ended
    void closed();    // the connection is over; emitted once

private:
    void onReadable();
    void onWritable();
    void flush();
    void updateNotifiers();
    void finish();
    // Reports the bytes held now to the budget.
    void account();
    qint64 replyLimit() const;

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
    bool m_budgetPaused = false; // not reading: the broker's buffers are over their maximum
    const qint64 m_maxQueuedReplyBytes;
    BufferBudget *const m_budget;
    qint64 m_accounted = 0; // bytes reported to m_budget
    // totals, and their values at the previous sweep
    quint64 m_received = 0;
    quint64 m_consumed = 0;
    quint64 m_sent = 0;
    quint64 m_sweepReceived = 0;
    quint64 m_sweepConsumed = 0;
    quint64 m_sweepSent = 0;
    qint64 m_lastActiveMs = -1;   // sweep time of the last traffic (-1: not swept yet)
    qint64 m_requestSinceMs = -1; // sweep time a partial request was first seen
};

} // namespace rivulet
