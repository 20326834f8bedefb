#pragma once

// The rivulet and rivulet-cli executables as processes, for the tests that run them: a command
// run to its end, and a broker started until its ready line and stopped again.
// Header-only; include it from tests/tst_*.cpp (which define RIVULET_BIN_DIR).

#include "timeouts.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>

#include <algorithm>
#include <csignal>

namespace rivulet::testsupport {

// An executable of this build, e.g. binary("rivulet-cli").
inline QString binary(const char *name)
{
    return QStringLiteral(RIVULET_BIN_DIR "/") + QLatin1String(name);
}

// The environment a started process inherits unless a test says otherwise.
inline QProcessEnvironment inheritedEnvironment()
{
    return QProcessEnvironment(QProcessEnvironment::InheritFromParent);
}

// A process run to its end.
struct Run
{
    bool finished = false; // exited normally within the time limit
    int exitCode = -1;
    QString out;
    QString err;

    // For failure messages: valid until the next call.
    const char *describe() const
    {
        m_description = QStringLiteral("finished=%1 exit=%2\n--- stdout:\n%3--- stderr:\n%4")
                            .arg(finished)
                            .arg(exitCode)
                            .arg(out, err)
                            .toUtf8();
        return m_description.constData();
    }

private:
    mutable QByteArray m_description;
};

// Runs program with args, input on its stdin (then closed), and waits for it to end.
inline Run runProcess(const QString &program, const QStringList &args, const QByteArray &input = {},
                      const QProcessEnvironment &env = inheritedEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(program, args);
    Run run;
    if (!process.waitForStarted(kTimeoutMs)) {
        run.err = process.errorString();
        return run;
    }
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    run.finished =
        process.waitForFinished(kTimeoutMs) && process.exitStatus() == QProcess::NormalExit;
    if (!run.finished) {
        process.kill();
        process.waitForFinished(kTimeoutMs);
    }
    run.exitCode = process.exitCode();
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

// A port nothing listens on (free a moment ago).
inline quint16 unusedPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

// A rivulet broker process: started until it prints its ready line
// ("rivulet 0.1.0 ready: native H:P kafka H:P (...)"), whose addresses it then knows, and
// stopped by a signal. Killed on destruction if still running.
class BrokerProcess
{
public:
    explicit BrokerProcess(const QProcessEnvironment &env = inheritedEnvironment())
    {
        m_process.setProcessEnvironment(env);
    }
    ~BrokerProcess() { kill(); }
    BrokerProcess(const BrokerProcess &) = delete;
    BrokerProcess &operator=(const BrokerProcess &) = delete;

    // Starts `rivulet args` and reads its stdout until the ready line. False when it did not
    // start, exited, or printed no ready line in time; describe() then tells what it said.
    // A broker still running from an earlier start is killed first.
    bool start(const QStringList &args)
    {
        kill();
        m_nativeHost.clear();
        m_kafkaHost.clear();
        m_nativePort = m_kafkaPort = 0;
        m_process.start(binary("rivulet"), args);
        if (!m_process.waitForStarted(kTimeoutMs)) {
            m_err += m_process.errorString() + u'\n';
            return false;
        }
        static const QRegularExpression ready(
            QStringLiteral(R"(ready: native (\S+):(\d+)(?: kafka (\S+):(\d+))?)"));
        QDeadlineTimer deadline(kTimeoutMs);
        for (;;) {
            while (m_process.canReadLine()) {
                const QString line = QString::fromUtf8(m_process.readLine());
                m_out += line;
                const QRegularExpressionMatch match = ready.match(line);
                if (match.hasMatch()) {
                    m_nativeHost = match.captured(1);
                    m_nativePort = quint16(match.captured(2).toUInt());
                    m_kafkaHost = match.captured(3);
                    m_kafkaPort = quint16(match.captured(4).toUInt());
                    return m_nativePort != 0;
                }
            }
            if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
                return false;
            m_process.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime())));
        }
    }

    const QString &nativeHost() const { return m_nativeHost; }
    quint16 nativePort() const { return m_nativePort; }
    const QString &kafkaHost() const { return m_kafkaHost; } // empty: no Kafka listener named
    quint16 kafkaPort() const { return m_kafkaPort; }

    // Sends signalNumber (SIGTERM by default) and waits for the process to end; true when it
    // ended in time, false too when it was not running. How it ended: process().exitStatus()
    // and exitCode().
    bool stop(int signalNumber = SIGTERM)
    {
        if (m_process.state() == QProcess::NotRunning)
            return false;
        if (signalNumber == SIGTERM)
            m_process.terminate();
        else if (::kill(pid_t(m_process.processId()), signalNumber) != 0)
            return false;
        return m_process.waitForFinished(kTimeoutMs);
    }

    // Ends it at once, if it runs.
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(kTimeoutMs);
    }

    // All it wrote to stderr so far, across starts (kept here, so reading it takes nothing).
    QString errors()
    {
        m_err += QString::fromUtf8(m_process.readAllStandardError());
        return m_err;
    }

    // For failure messages: what it printed on stdout up to the ready line, and on stderr.
    QString describe() { return m_out + errors(); }

    QProcess &process() { return m_process; }

private:
    QProcess m_process;
    QString m_out;
    QString m_err;
    QString m_nativeHost;
    QString m_kafkaHost;
    quint16 m_nativePort = 0;
    quint16 m_kafkaPort = 0;
};

} // namespace rivulet::testsupport
