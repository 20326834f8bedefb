#include "benchbroker.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>

#include <cstdio>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

namespace cli::bench {
namespace {

qint64 statusKiB(const QByteArray &status, const char *field)
{
    const qsizetype at = status.indexOf(field);
    if (at < 0)
        return 0;
    qsizetype p = at + qsizetype(qstrlen(field));
    while (p < status.size() && (status[p] == ':' || status[p] == ' ' || status[p] == '\t'))
        ++p;
    qsizetype e = p;
    while (e < status.size() && status[e] >= '0' && status[e] <= '9')
        ++e;
    return status.mid(p, e - p).toLongLong();
}

} // namespace

ProcessUsage processUsage(qint64 pid)
{
    ProcessUsage usage;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!stat.open(QIODevice::ReadOnly) || !status.open(QIODevice::ReadOnly))
        return usage;
    const QByteArray s = stat.readAll();
    // the command name may hold spaces and parentheses: fields start after the last ')'
    const qsizetype close = s.lastIndexOf(')');
    if (close < 0)
        return usage;
    const QList<QByteArray> fields = s.mid(close + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    if (fields.size() < 13)
        return usage;
    const double tick = double(sysconf(_SC_CLK_TCK));
    usage.userSeconds = double(fields[11].toLongLong()) / tick;
    usage.systemSeconds = double(fields[12].toLongLong()) / tick;
    const QByteArray st = status.readAll();
    usage.rssKiB = statusKiB(st, "VmRSS");
    usage.peakRssKiB = statusKiB(st, "VmHWM");
    usage.ok = true;
    return usage;
}

ProcessUsage selfUsage()
{
    ProcessUsage usage;
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return usage;
    usage.userSeconds = double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6;
    usage.systemSeconds = double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6;
    usage.peakRssKiB = ru.ru_maxrss;
    usage.ok = true;
    return usage;
}

double machineBusySeconds()
{
    QFile stat(QStringLiteral("/proc/stat"));
    if (!stat.open(QIODevice::ReadOnly))
        return 0;
    // cpu  user nice system idle iowait irq softirq steal ...
    const QList<QByteArray> f = stat.readLine().simplified().split(' ');
    if (f.size() < 9)
        return 0;
    qint64 busy = 0;
    for (const int i : {1, 2, 3, 6, 7, 8})
        busy += f[i].toLongLong();
    return double(busy) / double(sysconf(_SC_CLK_TCK));
}

QString defaultBrokerPath()
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("rivulet"));
}

ChildBroker::~ChildBroker()
{
    if (m_process.state() != QProcess::NotRunning)
        stop(10000);
}

bool ChildBroker::start(const QString &program, const QStringList &args, QString &error,
                        int timeoutMs)
{
    if (m_stderr.open())
        m_process.setStandardErrorFile(m_stderr.fileName());
    QElapsedTimer clock;
    clock.start();
    m_process.start(program, args);
    if (!m_process.waitForStarted(timeoutMs)) {
        error = QStringLiteral("cannot start %1: %2").arg(program, m_process.errorString());
        return false;
    }
    m_pid = m_process.processId();
    static const QRegularExpression ready(QStringLiteral("ready: native (\\S+):(\\d+)"));
    QByteArray out;
    while (clock.elapsed() < timeoutMs) {
        const qsizetype eol = out.indexOf('\n');
        if (eol >= 0) {
            const QString line = QString::fromUtf8(out.left(eol));
            out.remove(0, eol + 1);
            const auto match = ready.match(line);
            if (match.hasMatch()) {
                m_startupMs = double(clock.nsecsElapsed()) / 1e6;
                m_readyLine = line;
                m_host = match.captured(1);
                m_port = quint16(match.captured(2).toUInt());
                return true;
            }
            continue;
        }
        if (m_process.state() == QProcess::NotRunning)
            break;
        if (m_process.waitForReadyRead(50))
            out += m_process.readAllStandardOutput();
    }
    error =
        m_process.state() == QProcess::NotRunning
            ? QStringLiteral("%1 exited (status %2) before it was ready")
                  .arg(program)
                  .arg(m_process.exitCode())
            : QStringLiteral("%1 printed no ready line within %2 ms").arg(program).arg(timeoutMs);
    killHard();
    return false;
}

void ChildBroker::forwardStderr()
{
    if (!m_stderr.isOpen())
        return;
    m_stderr.seek(0);
    const QList<QByteArray> lines = m_stderr.readAll().split('\n');
    m_stderr.resize(0);
    for (const QByteArray &line : lines) {
        if (line.isEmpty() || line == "rivulet: stopped" ||
            (m_expectUnclean && line.contains("was not shut down cleanly")))
            continue;
        std::fprintf(stderr, "%s\n", line.constData());
    }
}

bool ChildBroker::stop(int timeoutMs)
{
    if (m_process.state() == QProcess::NotRunning)
        return true;
    QElapsedTimer clock;
    clock.start();
    m_process.terminate();
    const bool stopped = m_process.waitForFinished(timeoutMs);
    m_stopMs = double(clock.nsecsElapsed()) / 1e6;
    if (!stopped) {
        killHard();
        return false;
    }
    forwardStderr();
    return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
}

void ChildBroker::killHard()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(30000);
    forwardStderr();
}

} // namespace cli::bench
