#pragma once

// Calls to a native-protocol broker through the blocking NativeClient, for the tests that run
// one: connect, one request, produce, read a partition to its end, list topics, compare what
// was read with what was sent, and the numbered values they send. Each says why it failed.
// Header-only; include it from tests/tst_*.cpp.

#include "native/clientcodec.h"
#include "native/nativeclient.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <algorithm>

namespace rivulet::testsupport {

// Bounds one request; generous because the machines running the tests are shared.
constexpr int kCallMs = 15000;

inline bool connectClient(native::NativeClient &client, quint16 port, QString &why)
{
    if (!client.connectTo(QStringLiteral("127.0.0.1"), port, kCallMs) ||
        !client.enableErrorText(kCallMs)) {
        why = QStringLiteral("cannot connect to port %1: %2").arg(port).arg(client.errorString());
        return false;
    }
    return true;
}

// Sends one request; false (and why) on a connection problem or an Error reply.
inline bool request(native::NativeClient &client, const QByteArray &bytes, native::Reply &reply,
                    QString &why)
{
    reply = {};
    if (!client.call(bytes, reply, kCallMs)) {
        why = QStringLiteral("connection problem: %1").arg(client.errorString());
        return false;
    }
    if (reply.error) {
        why = QStringLiteral("Error reply: %1").arg(reply.errorText);
        return false;
    }
    return true;
}

// Produces values; lastOffset is the offset the broker gave the last of them.
inline bool produce(native::NativeClient &client, const QByteArray &topic, quint32 partition,
                    const QList<QByteArray> &values, qint64 &lastOffset, QString &why)
{
    native::Reply reply;
    if (!request(client, native::encodeProduce(topic, partition, values), reply, why))
        return false;
    if (reply.offsets.size() != 1) {
        why = QStringLiteral("a Produce reply with %1 offsets").arg(reply.offsets.size());
        return false;
    }
    lastOffset = reply.offsets.front();
    return true;
}

// Every record from `from` on, asking again until a reply comes back empty.
inline bool consumeAll(native::NativeClient &client, const QByteArray &topic, quint32 partition,
                       quint32 from, QList<native::ContentRecord> &records, QString &why,
                       QByteArrayView consumerId = {})
{
    records.clear();
    for (quint32 next = from;;) {
        native::Reply reply;
        if (!request(client, native::encodeConsume(topic, partition, next, 100000, consumerId),
                     reply, why))
            return false;
        if (reply.contents.isEmpty())
            return true;
        records += reply.contents;
        next = reply.contents.back().offset + 1;
    }
}

// Empty when records are exactly expected, at dense offsets from firstOffset.
inline QString mismatch(const QList<native::ContentRecord> &records,
                        const QList<QByteArray> &expected, qint64 firstOffset = 0)
{
    for (qsizetype i = 0; i < std::min(records.size(), expected.size()); ++i) {
        if (records[i].offset != firstOffset + i)
            return QStringLiteral("record %1 has offset %2, expected %3")
                .arg(i)
                .arg(records[i].offset)
                .arg(firstOffset + i);
        if (records[i].value != expected[i])
            return QStringLiteral("offset %1 holds \"%2\", expected \"%3\"")
                .arg(records[i].offset)
                .arg(QString::fromLatin1(records[i].value.left(60)),
                     QString::fromLatin1(expected[i].left(60)));
    }
    if (records.size() != expected.size())
        return QStringLiteral("%1 records, expected %2").arg(records.size()).arg(expected.size());
    return {};
}

inline QList<QByteArray> numbered(const QByteArray &prefix, int from, int count, int padTo = 0)
{
    QList<QByteArray> values;
    for (int i = from; i < from + count; ++i) {
        QByteArray v = prefix + QByteArray::number(i);
        if (v.size() < padTo)
            v += QByteArray(padTo - v.size(), char('a' + i % 26));
        values << v;
    }
    return values;
}

inline QList<native::TopicPartitionInfo> listTopics(native::NativeClient &client, QString &why)
{
    native::Reply reply;
    return request(client, native::encodeListTopics(), reply, why)
               ? reply.topicPartitions
               : QList<native::TopicPartitionInfo>{};
}

} // namespace rivulet::testsupport
