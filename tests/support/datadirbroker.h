#pragma once

// A rivulet broker process on a data directory that a test keeps across restarts: started,
// killed with SIGKILL, stopped cleanly and started again over the same (perhaps damaged)
// files, with a blocking native client of it. Built on BrokerProcess (rivuletprocess.h).
// Header-only; include it from tests/tst_*.cpp (which define RIVULET_BIN_DIR).

#include "eventloop.h"
#include "native/nativeclient.h"
#include "nativecalls.h"
#include "rivuletprocess.h"

#include <QTemporaryDir>

#include <functional>
#include <memory>

namespace rivulet::testsupport {

// `rivulet --headless --port 0 --data-dir DIR [extra args]`, one run of it.
class DataDirBroker
{
public:
    explicit DataDirBroker(QString dataDir, QStringList extraArgs = {})
        : m_dataDir(std::move(dataDir)), m_extraArgs(std::move(extraArgs))
    {
    }

    // Starts the broker and waits for its "ready" line; childModifier runs in the child
    // before exec (to lower a resource limit, say).
    bool start(const std::function<void()> &childModifier = {})
    {
        if (childModifier)
            m_broker.process().setChildProcessModifier(childModifier);
        return m_broker.start(QStringList{QStringLiteral("--headless"), QStringLiteral("--port"),
                                          QStringLiteral("0"), QStringLiteral("--data-dir"),
                                          m_dataDir} +
                              m_extraArgs);
    }

    quint16 port() const { return m_broker.nativePort(); }
    qint64 pid() { return m_broker.process().processId(); }
    // All it wrote to stderr so far.
    QString errText() { return m_broker.errors(); }
    bool waitForErr(const QString &what)
    {
        return waitUntil([&] {
                   return errText().contains(what) ||
                          m_broker.process().state() == QProcess::NotRunning;
               }) &&
               errText().contains(what);
    }

    // SIGKILL and reap.
    bool kill9()
    {
        m_broker.kill();
        return m_broker.process().state() == QProcess::NotRunning;
    }
    // SIGTERM: a clean shutdown that must end with exit code 0.
    bool stop()
    {
        return m_broker.stop() && m_broker.process().exitStatus() == QProcess::NormalExit &&
               m_broker.process().exitCode() == 0;
    }

    // For failure messages: valid until the next call.
    const char *describe()
    {
        m_description = QStringLiteral("state=%1 exit=%2\n--- stdout and stderr:\n%3")
                            .arg(int(m_broker.process().state()))
                            .arg(m_broker.process().exitCode())
                            .arg(m_broker.describe())
                            .toUtf8();
        return m_description.constData();
    }

private:
    QString m_dataDir;
    QStringList m_extraArgs;
    BrokerProcess m_broker;
    QByteArray m_description;
};

// A data directory, the broker on it (restarted by each start()) and a client of it.
struct DataDirFixture
{
    QTemporaryDir dir;
    std::unique_ptr<DataDirBroker> broker;
    native::NativeClient client;
    QString why;

    bool start(const QStringList &args = {}, const std::function<void()> &modifier = {})
    {
        client.close();
        broker = std::make_unique<DataDirBroker>(dir.path(), args);
        if (!broker->start(modifier)) {
            why = QString::fromUtf8(broker->describe());
            return false;
        }
        return connectClient(client, broker->port(), why);
    }
};

} // namespace rivulet::testsupport
