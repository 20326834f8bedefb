#include "commands.h"

#include "args.h"

#include "native/nativeclient.h"

#include <QDateTime>
#include <QHash>
#include <QSet>
#include <QThread>

#include <cstdio>
#include <iostream>
#include <limits>
#include <string>

using namespace rivulet::native;

namespace cli {
namespace {

constexpr std::uint32_t kConsumeChunk = 1000;
constexpr int kFollowPollMs = 200;

class Session
{
public:
    explicit Session(const Target &target) : m_target(target) {}

    bool open()
    {
        if (!m_client.connectTo(m_target.host, m_target.port) || !m_client.enableErrorText()) {
            std::fprintf(stderr,
                         "rivulet-cli: %s\nIs the broker running? Start one with "
                         "'rivulet --headless' or pass --host/--port.\n",
                         qPrintable(m_client.errorString()));
            return false;
        }
        return true;
    }
    // Returns Ok, BrokerError (printed) or Unreachable (printed).
    int call(const QByteArray &request, Reply &reply, const QString &what)
    {
        if (!m_client.call(request, reply)) {
            std::fprintf(stderr, "rivulet-cli: %s: %s\n", qPrintable(what),
                         qPrintable(m_client.errorString()));
            return Unreachable;
        }
        if (reply.error) {
            std::fprintf(
                stderr, "rivulet-cli: %s: the broker refused: %s\n", qPrintable(what),
                qPrintable(reply.errorText.isEmpty() ? QStringLiteral("Error") : reply.errorText));
            return BrokerError;
        }
        return Ok;
    }

private:
    Target m_target;
    NativeClient m_client;
};

QString formatRecord(const QString &format, const QString &topic, qint64 partition,
                     const ContentRecord &record)
{
    QString out;
    out.reserve(format.size() + record.value.size());
    for (qsizetype i = 0; i < format.size(); ++i) {
        const QChar c = format[i];
        if (c == u'%' && i + 1 < format.size()) {
            const QChar k = format[++i];
            if (k == u'o')
                out += QString::number(record.offset);
            else if (k == u'v')
                out += QString::fromUtf8(record.value);
            else if (k == u'p')
                out += QString::number(partition);
            else if (k == u't')
                out += topic;
            else if (k == u'%')
                out += u'%';
            else
                out += QStringView(format).mid(i - 1, 2);
        } else if (c == u'\\' && i + 1 < format.size() && format[i + 1] == u'n') {
            out += u'\n';
            ++i;
        } else if (c == u'\\' && i + 1 < format.size() && format[i + 1] == u't') {
            out += u'\t';
            ++i;
        } else {
            out += c;
        }
    }
    return out;
}

QString lastSeen(std::uint64_t ms)
{
    if (ms == 0)
        return QStringLiteral("-");
    return QDateTime::fromMSecsSinceEpoch(qint64(ms)).toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

int create(const Target &target, const QStringList &argv)
{
    const Args args = parseArgs(argv,
                                {QStringLiteral("partitions"), QStringLiteral("retention-ms"),
                                 QStringLiteral("retention-bytes")},
                                {});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("create"), args.error);
    if (args.positional.size() != 1)
        return usage(QStringLiteral("create"), QStringLiteral("give exactly one TOPIC name"));
    qint64 partitions = 1;
    QString error;
    qint64 retentionMs = -1, retentionBytes = -1;
    if (!number(args, QStringLiteral("partitions"), 1, 10000, partitions, error) ||
        !number(args, QStringLiteral("retention-ms"), -1, std::numeric_limits<qint64>::max(),
                retentionMs, error) ||
        !number(args, QStringLiteral("retention-bytes"), -1, std::numeric_limits<qint64>::max(),
                retentionBytes, error))
        return usage(QStringLiteral("create"), error);
    const bool setRetention = args.values.contains(QStringLiteral("retention-ms")) ||
                              args.values.contains(QStringLiteral("retention-bytes"));

    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    const QString topic = args.positional.first();
    int rc = session.call(encodeCreateTopic(topic.toUtf8(), std::uint32_t(partitions)), reply,
                          QStringLiteral("create %1").arg(topic));
    if (rc == Ok && setRetention)
        rc = session.call(encodeSetRetention(topic.toUtf8(), retentionMs, retentionBytes), reply,
                          QStringLiteral("retention of %1").arg(topic));
    if (rc == Ok)
        std::printf("topic %s ready with %lld partition%s\n", qPrintable(topic), partitions,
                    partitions == 1 ? "" : "s");
    return rc;
}

int produce(const Target &target, const QStringList &argv)
{
    const Args args = parseArgs(argv, {QStringLiteral("partition"), QStringLiteral("batch")}, {});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("produce"), args.error);
    if (args.positional.isEmpty())
        return usage(QStringLiteral("produce"), QStringLiteral("give a TOPIC"));
    qint64 partition = 0, batch = 100;
    QString error;
    if (!number(args, QStringLiteral("partition"), 0, 9999, partition, error) ||
        !number(args, QStringLiteral("batch"), 1, 100000, batch, error))
        return usage(QStringLiteral("produce"), error);

    Session session(target);
    if (!session.open())
        return Unreachable;
    const QByteArray topic = args.positional.first().toUtf8();
    const QStringList fromArgs = args.positional.mid(1);
    const bool fromStdin = fromArgs.isEmpty();

    qint64 sent = 0, firstOffset = -1, lastOffset = -1;
    QList<QByteArray> values;
    auto flush = [&]() -> int {
        if (values.isEmpty())
            return Ok;
        Reply reply;
        const int rc = session.call(
            encodeProduce(topic, std::uint32_t(partition), values), reply,
            QStringLiteral("produce to %1[%2]").arg(QString::fromUtf8(topic)).arg(partition));
        if (rc != Ok)
            return rc;
        if (reply.offsets.isEmpty()) {
            std::fprintf(stderr, "rivulet-cli: the broker's produce reply carried no offset\n");
            return BrokerError;
        }
        lastOffset = reply.offsets.last();
        if (firstOffset < 0)
            firstOffset = lastOffset - values.size() + 1;
        sent += values.size();
        values.clear();
        return Ok;
    };

    if (fromStdin) {
        std::string line;
        while (std::getline(std::cin, line)) {
            values.append(QByteArray(line.data(), qsizetype(line.size())));
            if (values.size() >= batch)
                if (const int rc = flush(); rc != Ok)
                    return rc;
        }
    } else {
        for (const QString &v : fromArgs) {
            values.append(v.toUtf8());
            if (values.size() >= batch)
                if (const int rc = flush(); rc != Ok)
                    return rc;
        }
    }
    if (const int rc = flush(); rc != Ok)
        return rc;
    if (sent == 0)
        std::fprintf(stderr, "rivulet-cli: nothing to produce (no values and empty stdin)\n");
    else
        std::fprintf(stderr, "produced %lld message%s to %s[%lld] at offsets %lld..%lld\n", sent,
                     sent == 1 ? "" : "s", topic.constData(), partition, firstOffset, lastOffset);
    return Ok;
}

int consume(const Target &target, const QStringList &argv)
{
    const Args args =
        parseArgs(argv,
                  {QStringLiteral("partition"), QStringLiteral("offset"), QStringLiteral("count"),
                   QStringLiteral("consumer"), QStringLiteral("format")},
                  {QStringLiteral("follow")});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("consume"), args.error);
    if (args.positional.size() != 1)
        return usage(QStringLiteral("consume"), QStringLiteral("give exactly one TOPIC"));
    qint64 partition = 0, offset = 0, count = -1;
    QString error;
    if (!number(args, QStringLiteral("partition"), 0, 9999, partition, error) ||
        !number(args, QStringLiteral("offset"), 0, std::numeric_limits<std::uint32_t>::max(),
                offset, error) ||
        !number(args, QStringLiteral("count"), 0, std::numeric_limits<qint64>::max(), count, error))
        return usage(QStringLiteral("consume"), error);
    const bool follow = args.flags.contains(QStringLiteral("follow"));
    const QString format = args.values.value(QStringLiteral("format"), QStringLiteral("%v"));
    const QByteArray consumer = args.values.value(QStringLiteral("consumer")).toUtf8();

    Session session(target);
    if (!session.open())
        return Unreachable;
    const QString topic = args.positional.first();
    const QByteArray topicBytes = topic.toUtf8();
    qint64 printed = 0;
    while (count < 0 || printed < count) {
        std::uint32_t limit = kConsumeChunk;
        if (count >= 0)
            limit = std::uint32_t(std::min<qint64>(limit, count - printed));
        Reply reply;
        const int rc =
            session.call(encodeConsume(topicBytes, std::uint32_t(partition), std::uint32_t(offset),
                                       limit, consumer),
                         reply, QStringLiteral("consume %1[%2]").arg(topic).arg(partition));
        if (rc != Ok)
            return rc;
        for (const ContentRecord &record : reply.contents) {
            const QByteArray line = formatRecord(format, topic, partition, record).toUtf8();
            std::fwrite(line.constData(), 1, std::size_t(line.size()), stdout);
            std::fputc('\n', stdout);
            offset = qint64(record.offset) + 1;
            ++printed;
        }
        std::fflush(stdout);
        if (reply.contents.isEmpty()) {
            if (!follow)
                break;
            QThread::msleep(kFollowPollMs); // the native protocol has no long poll
        }
    }
    return Ok;
}

int remove(const Target &target, const QStringList &argv)
{
    const Args args = parseArgs(argv, {}, {});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("delete"), args.error);
    if (args.positional.size() != 1)
        return usage(QStringLiteral("delete"), QStringLiteral("give exactly one TOPIC"));
    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    const QString topic = args.positional.first();
    const int rc = session.call(encodeDeleteTopic(topic.toUtf8()), reply,
                                QStringLiteral("delete %1").arg(topic));
    if (rc == Ok)
        std::printf("topic %s deleted\n", qPrintable(topic));
    return rc;
}

int retention(const Target &target, const QStringList &argv)
{
    const Args args = parseArgs(argv, {QStringLiteral("ms"), QStringLiteral("bytes")}, {});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("retention"), args.error);
    if (args.positional.size() != 1)
        return usage(QStringLiteral("retention"), QStringLiteral("give exactly one TOPIC"));
    qint64 ms = -1, bytes = -1;
    QString error;
    if (!number(args, QStringLiteral("ms"), -1, std::numeric_limits<qint64>::max(), ms, error) ||
        !number(args, QStringLiteral("bytes"), -1, std::numeric_limits<qint64>::max(), bytes,
                error))
        return usage(QStringLiteral("retention"), error);
    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    const QString topic = args.positional.first();
    const int rc = session.call(encodeSetRetention(topic.toUtf8(), ms, bytes), reply,
                                QStringLiteral("retention of %1").arg(topic));
    if (rc == Ok)
        std::printf("topic %s keeps %s and %s\n", qPrintable(topic),
                    ms < 0 ? "any age" : qPrintable(QStringLiteral("%1 ms").arg(ms)),
                    bytes < 0 ? "any size"
                              : qPrintable(QStringLiteral("%1 bytes per partition").arg(bytes)));
    return rc;
}

int topics(const Target &target, const QStringList &argv)
{
    if (!argv.isEmpty())
        return usage(QStringLiteral("topics"), QStringLiteral("takes no arguments"));
    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    if (const int rc = session.call(encodeListTopics(), reply, QStringLiteral("topics")); rc != Ok)
        return rc;
    std::printf("%-30s %9s %12s %12s %12s %12s\n", "TOPIC", "PARTITION", "START", "END", "MESSAGES",
                "BYTES");
    for (const TopicPartitionInfo &p : reply.topicPartitions)
        std::printf("%-30s %9u %12llu %12llu %12llu %12llu\n", p.topic.constData(), p.partition,
                    static_cast<unsigned long long>(p.startOffset),
                    static_cast<unsigned long long>(p.endOffset),
                    static_cast<unsigned long long>(p.endOffset - p.startOffset),
                    static_cast<unsigned long long>(p.sizeBytes));
    return Ok;
}

int consumers(const Target &target, const QStringList &argv)
{
    if (!argv.isEmpty())
        return usage(QStringLiteral("consumers"), QStringLiteral("takes no arguments"));
    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    if (const int rc = session.call(encodeListConsumers(), reply, QStringLiteral("consumers"));
        rc != Ok)
        return rc;
    std::printf("%-24s %-24s %9s %12s %12s %10s %12s %9s\n", "CONSUMER", "TOPIC", "PARTITION",
                "NEXT", "END", "LAG", "DELIVERED", "LAST SEEN");
    for (const ConsumerPositionInfo &c : reply.consumerPositions) {
        const qint64 lag = std::max<qint64>(0, qint64(c.endOffset) - qint64(c.nextOffset));
        std::printf("%-24s %-24s %9u %12llu %12llu %10lld %12llu %9s\n", c.consumer.constData(),
                    c.topic.constData(), c.partition, static_cast<unsigned long long>(c.nextOffset),
                    static_cast<unsigned long long>(c.endOffset), static_cast<long long>(lag),
                    static_cast<unsigned long long>(c.delivered),
                    qPrintable(lastSeen(c.lastSeenMs)));
    }
    return Ok;
}

} // namespace cli
