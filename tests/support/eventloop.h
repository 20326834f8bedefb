#pragma once

// Waiting in a test without fixed sleeps: run the test thread's event loop (which delivers
// sockets' and processes' data and lets an in-process server accept) until a condition holds.
// Header-only; include it from tests/tst_*.cpp.

#include "timeouts.h"

#include <QAbstractSocket>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>

namespace rivulet::testsupport {

// Runs the event loop until pred() holds or timeoutMs runs out; false on the time-out. It
// looks again every 20 ms, and at once when wakeOn (if given) reads, writes or changes state.
template <typename Pred>
bool waitUntil(Pred pred, int timeoutMs = kTimeoutMs, QAbstractSocket *wakeOn = nullptr)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!pred()) {
        if (deadline.hasExpired())
            return false;
        QEventLoop loop;
        if (wakeOn) {
            QObject::connect(wakeOn, &QIODevice::readyRead, &loop, &QEventLoop::quit);
            QObject::connect(wakeOn, &QIODevice::bytesWritten, &loop, &QEventLoop::quit);
            QObject::connect(wakeOn, &QAbstractSocket::stateChanged, &loop, &QEventLoop::quit);
        }
        QTimer::singleShot(std::clamp<qint64>(deadline.remainingTime(), 1, 20), &loop,
                           &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

} // namespace rivulet::testsupport
