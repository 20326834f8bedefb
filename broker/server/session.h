#pragma once

#include "connection.h"

#include <QObject>

namespace rivulet {

// One connection living in a worker thread; it says when it is done so the worker can
// delete it.
class Session : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // The worker's periodic sweep (Worker::sweep): checks the connection's timeouts and
    // closes it when one has passed; returns which one (None while it lives on).
    virtual Connection::Expiry sweep(qint64 nowMs, int requestTimeoutMs, int idleTimeoutMs) = 0;

Q_SIGNALS:
    void finished();
};

} // namespace rivulet
