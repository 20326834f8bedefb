#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryFile>

// The broker under test as the bench sees it: a child process it starts and stops, and what
// /proc says about any process's CPU time and memory.
namespace cli::bench {

struct ProcessUsage
{
    bool ok = false;
    double userSeconds = 0;
    double systemSeconds = 0;
    qint64 rssKiB = 0;     // VmRSS
    qint64 peakRssKiB = 0; // VmHWM
    double cpuSeconds() const { return userSeconds + systemSeconds; }
};

// utime + stime from /proc/<pid>/stat, VmRSS and VmHWM from /proc/<pid>/status.
ProcessUsage processUsage(qint64 pid);
// The same for this process and its threads (the bench's own client cost).
ProcessUsage selfUsage();
// CPU time every process on the machine spent so far (/proc/stat), to tell how much of a run
// other work took: these machines are shared and noisy.
double machineBusySeconds();

class ChildBroker
{
public:
    ~ChildBroker();
    // Starts `program args` and waits for its "ready: native HOST:PORT" line.
    bool start(const QString &program, const QStringList &args, QString &error,
               int timeoutMs = 120000);
    // SIGTERM, then waits for it to exit; false (and SIGKILL) if it did not within the time.
    bool stop(int timeoutMs = 60000);
    void killHard(); // SIGKILL, as a crash would
    // The start follows a kill -9 on purpose: the broker's note that it recovers is expected.
    void setExpectUncleanStart(bool expect) { m_expectUnclean = expect; }

    qint64 pid() const { return m_pid; }
    const QString &host() const { return m_host; }
    quint16 port() const { return m_port; }
    // From process start to the ready line.
    double startupMs() const { return m_startupMs; }
    double stopMs() const { return m_stopMs; }
    const QString &readyLine() const { return m_readyLine; }

private:
    void forwardStderr();

    QProcess m_process;
    // the broker's stderr goes to a file, shown once it exited, so that a chatty broker never
    // blocks on a full pipe while the bench is busy and routine notes do not clutter the report
    QTemporaryFile m_stderr;
    bool m_expectUnclean = false;
    qint64 m_pid = 0;
    QString m_host;
    quint16 m_port = 0;
    double m_startupMs = 0;
    double m_stopMs = 0;
    QString m_readyLine;
};

// rivulet next to rivulet-cli.
QString defaultBrokerPath();

} // namespace cli::bench
