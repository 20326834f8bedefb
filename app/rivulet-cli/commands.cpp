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

QString lastSeen(std::uint64_t ms)
{
    if (ms == 0)
        return QStringLiteral("-");
    return QDateTime::fromMSecsSinceEpoch(qint64(ms)).toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

namespace {

QString formatRecord(const QString &format, const QString &topic, qint64 partition, qint64 offset,
                     const QByteArray &value)
{
    QString out;
    out.reserve(format.size() + value.size());
    for (qsizetype i = 0; i < format.size(); ++i) {
        const QChar c = format[i];
        if (c == u'%' && i + 1 < format.size()) {
            const QChar k = format[++i];
            if (k == u'o')
                out += QString::number(offset);
            else if (k == u'v')
                out += QString::fromUtf8(value);
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

} // namespace

int parseCreate(const QStringList &argv, CreateOptions &out)
{
    const Args args = parseArgs(argv,
                                {QStringLiteral("partitions"), QStringLiteral("retention-ms"),
                                 QStringLiteral("retention-bytes")},
                                {});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("create"), args.error);
    if (args.positional.size() != 1)
        return usage(QStringLiteral("create"), QStringLiteral("give exactly one TOPIC name"));
    QString error;
    if (!number(args, QStringLiteral("partitions"), 1, 10000, out.partitions, error) ||
        !number(args, QStringLiteral("retention-ms"), -1, std::numeric_limits<qint64>::max(),
                out.retentionMs, error) ||
        !number(args, QStringLiteral("retention-bytes"), -1, std::numeric_limits<qint64>::max(),
                out.retentionBytes, error))
        return usage(QStringLiteral("create"), error);
    out.setRetention = args.values.contains(QStringLiteral("retention-ms")) ||
                       args.values.contains(QStringLiteral("retention-bytes"));
    out.topic = args.positional.first();
    return Ok;
}

void printCreated(const CreateOptions &o)
{
    std::printf("topic %s ready with %lld partition%s\n", qPrintable(o.topic), o.partitions,
                o.partitions == 1 ? "" : "s");
}

int parseTopicOnly(const QString &command, const QStringList &argv, QString &topic)
{
    const Args args = parseArgs(argv, {}, {});
    if (!args.error.isEmpty())
        return usage(command, args.error);
    if (args.positional.size() != 1)
        return usage(command, QStringLiteral("give exactly one TOPIC"));
    topic = args.positional.first();
    return Ok;
}

int parseRetention(const QStringList &argv, RetentionOptions &out)
{
    const Args args = parseArgs(argv, {QStringLiteral("ms"), QStringLiteral("bytes")}, {});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("retention"), args.error);
    if (args.positional.size() != 1)
        return usage(QStringLiteral("retention"), QStringLiteral("give exactly one TOPIC"));
    QString error;
    if (!number(args, QStringLiteral("ms"), -1, std::numeric_limits<qint64>::max(), out.ms,
                error) ||
        !number(args, QStringLiteral("bytes"), -1, std::numeric_limits<qint64>::max(), out.bytes,
                error))
        return usage(QStringLiteral("retention"), error);
    out.topic = args.positional.first();
    return Ok;
}

void printRetention(const RetentionOptions &o)
{
    std::printf("topic %s keeps %s and %s\n", qPrintable(o.topic),
                o.ms < 0 ? "any age" : qPrintable(QStringLiteral("%1 ms").arg(o.ms)),
                o.bytes < 0 ? "any size"
                            : qPrintable(QStringLiteral("%1 bytes per partition").arg(o.bytes)));
}

int parseProduce(const QStringList &argv, ProduceOptions &out)
{
    const Args args = parseArgs(argv, {QStringLiteral("partition"), QStringLiteral("batch")}, {});
    if (!args.error.isEmpty())
        return usage(QStringLiteral("produce"), args.error);
    if (args.positional.isEmpty())
        return usage(QStringLiteral("produce"), QStringLiteral("give a TOPIC"));
    QString error;
    if (!number(args, QStringLiteral("partition"), 0, 9999, out.partition, error) ||
        !number(args, QStringLiteral("batch"), 1, 100000, out.batch, error))
        return usage(QStringLiteral("produce"), error);
    out.topic = args.positional.first();
    out.values = args.positional.mid(1);
    return Ok;
}

int sendValues(const ProduceOptions &o, const std::function<int(const QList<QByteArray> &)> &send)
{
    QList<QByteArray> values;
    const auto add = [&](QByteArray value) -> int {
        values.append(std::move(value));
        if (values.size() < o.batch)
            return Ok;
        const int rc = send(values);
        values.clear();
        return rc;
    };
    if (o.values.isEmpty()) {
        std::string line;
        while (std::getline(std::cin, line))
            if (const int rc = add(QByteArray(line.data(), qsizetype(line.size()))); rc != Ok)
                return rc;
    } else {
        for (const QString &v : o.values)
            if (const int rc = add(v.toUtf8()); rc != Ok)
                return rc;
    }
    return values.isEmpty() ? Ok : send(values);
}

void printProduced(const ProduceOptions &o, qint64 sent, qint64 firstOffset, qint64 lastOffset)
{
    if (sent == 0)
        std::fprintf(stderr, "rivulet-cli: nothing to produce (no values and empty stdin)\n");
    else
        std::fprintf(stderr, "produced %lld message%s to %s[%lld] at offsets %lld..%lld\n", sent,
                     sent == 1 ? "" : "s", qPrintable(o.topic), o.partition, firstOffset,
                     lastOffset);
}

int parseConsume(const QStringList &argv, ConsumeOptions &out)
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
    QString error;
    if (!number(args, QStringLiteral("partition"), 0, 9999, out.partition, error) ||
        !number(args, QStringLiteral("offset"), 0, std::numeric_limits<std::uint32_t>::max(),
                out.offset, error) ||
        !number(args, QStringLiteral("count"), 0, std::numeric_limits<qint64>::max(), out.count,
                error))
        return usage(QStringLiteral("consume"), error);
    out.follow = args.flags.contains(QStringLiteral("follow"));
    out.format = args.values.value(QStringLiteral("format"), QStringLiteral("%v"));
    out.consumer = args.values.value(QStringLiteral("consumer")).toUtf8();
    out.consumerGiven = args.values.contains(QStringLiteral("consumer"));
    out.topic = args.positional.first();
    return Ok;
}

void printRecord(const ConsumeOptions &o, qint64 offset, const QByteArray &value)
{
    const QByteArray line = formatRecord(o.format, o.topic, o.partition, offset, value).toUtf8();
    std::fwrite(line.constData(), 1, std::size_t(line.size()), stdout);
    std::fputc('\n', stdout);
}

int create(const Target &target, const QStringList &argv)
{
    CreateOptions o;
    if (const int rc = parseCreate(argv, o); rc != Ok)
        return rc;
    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    int rc = session.call(encodeCreateTopic(o.topic.toUtf8(), std::uint32_t(o.partitions)), reply,
                          QStringLiteral("create %1").arg(o.topic));
    if (rc == Ok && o.setRetention)
        rc = session.call(encodeSetRetention(o.topic.toUtf8(), o.retentionMs, o.retentionBytes),
                          reply, QStringLiteral("retention of %1").arg(o.topic));
    if (rc == Ok)
        printCreated(o);
    return rc;
}

int produce(const Target &target, const QStringList &argv)
{
    ProduceOptions o;
    if (const int rc = parseProduce(argv, o); rc != Ok)
        return rc;
    Session session(target);
    if (!session.open())
        return Unreachable;
    const QByteArray topic = o.topic.toUtf8();
    qint64 sent = 0, firstOffset = -1, lastOffset = -1;
    const int rc = sendValues(o, [&](const QList<QByteArray> &values) {
        Reply reply;
        const int rc =
            session.call(encodeProduce(topic, std::uint32_t(o.partition), values), reply,
                         QStringLiteral("produce to %1[%2]").arg(o.topic).arg(o.partition));
        if (rc != Ok)
            return rc;
        if (reply.offsets.isEmpty()) {
            std::fprintf(stderr, "rivulet-cli: the broker's produce reply carried no offset\n");
            return int(BrokerError);
        }
        lastOffset = reply.offsets.last();
        if (firstOffset < 0)
            firstOffset = lastOffset - values.size() + 1;
        sent += values.size();
        return int(Ok);
    });
    if (rc != Ok)
        return rc;
    printProduced(o, sent, firstOffset, lastOffset);
    return Ok;
}

int consume(const Target &target, const QStringList &argv)
{
    ConsumeOptions o;
    if (const int rc = parseConsume(argv, o); rc != Ok)
        return rc;
    Session session(target);
    if (!session.open())
        return Unreachable;
    const QByteArray topicBytes = o.topic.toUtf8();
    qint64 printed = 0, offset = o.offset;
    while (o.count < 0 || printed < o.count) {
        std::uint32_t limit = kConsumeChunk;
        if (o.count >= 0)
            limit = std::uint32_t(std::min<qint64>(limit, o.count - printed));
        Reply reply;
        const int rc =
            session.call(encodeConsume(topicBytes, std::uint32_t(o.partition),
                                       std::uint32_t(offset), limit, o.consumer),
                         reply, QStringLiteral("consume %1[%2]").arg(o.topic).arg(o.partition));
        if (rc != Ok)
            return rc;
        for (const ContentRecord &record : reply.contents) {
            printRecord(o, qint64(record.offset), record.value);
            offset = qint64(record.offset) + 1;
            ++printed;
        }
        std::fflush(stdout);
        if (reply.contents.isEmpty()) {
            if (!o.follow)
                break;
            QThread::msleep(kFollowPollMs); // the native protocol has no long poll
        }
    }
    return Ok;
}

int remove(const Target &target, const QStringList &argv)
{
    QString topic;
    if (const int rc = parseTopicOnly(QStringLiteral("delete"), argv, topic); rc != Ok)
        return rc;
    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    const int rc = session.call(encodeDeleteTopic(topic.toUtf8()), reply,
                                QStringLiteral("delete %1").arg(topic));
    if (rc == Ok)
        std::printf("topic %s deleted\n", qPrintable(topic));
    return rc;
}

int retention(const Target &target, const QStringList &argv)
{
    RetentionOptions o;
    if (const int rc = parseRetention(argv, o); rc != Ok)
        return rc;
    Session session(target);
    if (!session.open())
        return Unreachable;
    Reply reply;
    const int rc = session.call(encodeSetRetention(o.topic.toUtf8(), o.ms, o.bytes), reply,
                                QStringLiteral("retention of %1").arg(o.topic));
    if (rc == Ok)
        printRetention(o);
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
