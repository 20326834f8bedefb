#pragma once

#include <QObject>

namespace rivulet {

// One connection living in a worker thread; it says when it is done so the worker can
// delete it.
class Session : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

Q_SIGNALS:
    void finished();
};

} // namespace rivulet
