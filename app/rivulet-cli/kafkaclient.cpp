#include "kafkaclient.h"

#include "args.h"
#include "commands.h"

#include <QDeadlineTimer>
#include <QThread>

#include <cstdio>

namespace cli::kafka {

int clientSettings(const QString &command, const Args &args, rivulet::KafkaSettings &settings)
{
    settings.bootstrap = args.values.value(QStringLiteral("bootstrap"));
    QString error;
    if (const QString file = args.values.value(QStringLiteral("kafka-config"));
        !file.isEmpty() && !rivulet::loadKafkaConfig(file, settings, error))
        return usage(command, error);
    if (settings.bootstrap.isEmpty())
        settings.bootstrap = QStringLiteral("127.0.0.1:9092");
    return Ok;
}

QString unreachableHint(const Events &events)
{
    QString hint = QStringLiteral("no Kafka broker answered at %1").arg(events.bootstrap);
    if (!events.lastError.isEmpty())
        hint += QStringLiteral(" (%1)").arg(events.lastError);
    return hint + QStringLiteral(". Is the broker running? Start one with 'rivulet --headless' "
                                 "or pass --bootstrap HOST:PORT (its Kafka listener).");
}

int partitionCount(rd_kafka_t *rk, const QByteArray &topic, Events *events, QString &error,
                   int &exitCode)
{
    TopicHandle rkt(rd_kafka_topic_new(rk, topic.constData(), nullptr));
    const QDeadlineTimer deadline(kMetadataTimeoutMs);
    rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (;;) {
        const struct rd_kafka_metadata *md = nullptr;
        // a second at a time, to stop as soon as the client knows no broker is there
        const int timeout = int(qBound(qint64(1), deadline.remainingTime(), qint64(1000)));
        last = rd_kafka_metadata(rk, 0, rkt.get(), &md, timeout);
        rd_kafka_poll(rk, 0); // serves the error events that say why
        if (last == RD_KAFKA_RESP_ERR_NO_ERROR) {
            int count = -1;
            if (md->topic_cnt == 1) {
                last = md->topics[0].err;
                if (last == RD_KAFKA_RESP_ERR_NO_ERROR)
                    count = md->topics[0].partition_cnt;
            }
            rd_kafka_metadata_destroy(md);
            if (count > 0)
                return count;
            // a topic the broker is creating answers LEADER_NOT_AVAILABLE first; a producer's
            // metadata request may create it (the broker's auto-create), a consumer's not
            const bool mayAppear = last == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
                                   (last == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
                                    rd_kafka_type(rk) == RD_KAFKA_PRODUCER);
            if (!mayAppear)
                break;
        } else if (!isUnreachable(last) || events->allBrokersDown) {
            break;
        }
        if (deadline.hasExpired())
            break;
        QThread::msleep(100); // metadata of a topic being created: ask again shortly
    }
    if (isUnreachable(last)) {
        exitCode = Unreachable;
        error = unreachableHint(*events);
        return -1;
    }
    exitCode = BrokerError;
    if (last == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        error = QStringLiteral("there is no topic '%1' (create it with 'rivulet-cli create %1')")
                    .arg(QString::fromUtf8(topic));
    else
        error = QStringLiteral("metadata of '%1': %2")
                    .arg(QString::fromUtf8(topic), QString::fromUtf8(rd_kafka_err2str(last)));
    return -1;
}

int checkedPartitionCount(rd_kafka_t *rk, const QString &command, const QString &topic,
                          qint64 wanted, Events *events, int &exitCode, const char *suffix)
{
    QString error;
    const int partitions = partitionCount(rk, topic.toUtf8(), events, error, exitCode);
    if (partitions < 0) {
        std::fprintf(stderr, "rivulet-cli %s: %s%s\n", qPrintable(command), qPrintable(error),
                     suffix);
        return -1;
    }
    if (wanted >= partitions) {
        exitCode = usage(command, QStringLiteral("topic '%1' has partitions 0 to %2, not %3")
                                      .arg(topic)
                                      .arg(partitions - 1)
                                      .arg(wanted));
        return -1;
    }
    return partitions;
}

} // namespace cli::kafka
