#pragma once

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>
#include <QThreadPool>

#include <memory>
#include <utility>

namespace rivulet {

// Runs work() on a pool thread and hands its result to done(result) on the GUI thread —
// unless receiver was deleted meanwhile. The result travels as a queued call to the
// application object, which outlives every task (owners of a pool wait for it before they
// go); the guard is only ever read on the GUI thread.
template <typename Work, typename Done>
void runOffGuiThread(QThreadPool &pool, QObject *receiver, Work work, Done done)
{
    auto guard = std::make_shared<QPointer<QObject>>(receiver);
    pool.start(
        [guard = std::move(guard), work = std::move(work), done = std::move(done)]() mutable {
            auto result = std::make_shared<decltype(work())>(work());
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [guard, done, result]() mutable {
                    if (!guard->isNull())
                        done(std::move(*result));
                },
                Qt::QueuedConnection);
        });
}

} // namespace rivulet
