#pragma once

#include "protocol.h"

#include <QList>
#include <QString>

// The client's half of the native protocol: request encoders and an incremental reply
// parser. Used by rivulet-cli, the benchmark, the UI and the tests.
namespace rivulet::native {

QByteArray encodeProduce(QByteArrayView topic, std::uint32_t partition,
                         const QList<QByteArray> &values, QByteArrayView consumerId = {});
QByteArray encodeConsume(QByteArrayView topic, std::uint32_t partition, std::uint32_t offset,
                         std::uint32_t limit, QByteArrayView consumerId = {});
QByteArray encodeCreateTopic(QByteArrayView name, std::uint32_t partitions,
                             QByteArrayView consumerId = {});
QByteArray encodeQuit(QByteArrayView consumerId = {});
QByteArray encodeListTopics(QByteArrayView consumerId = {});
QByteArray encodeListConsumers(QByteArrayView consumerId = {});
QByteArray encodeDeleteTopic(QByteArrayView name, QByteArrayView consumerId = {});
// retention -1 keeps everything
QByteArray encodeSetRetention(QByteArrayView name, std::int64_t retentionMs,
                              std::int64_t retentionBytes, QByteArrayView consumerId = {});
QByteArray encodeSetOptions(std::uint32_t options, QByteArrayView consumerId = {});

struct ContentRecord
{
    std::uint32_t offset = 0;
    QByteArray value;
};

// Everything one reply carried, up to and including its Empty record.
struct Reply
{
    QList<ContentRecord> contents;
    QList<std::uint32_t> offsets;
    QList<TopicPartitionInfo> topicPartitions;
    QList<ConsumerPositionInfo> consumerPositions;
    bool error = false;
    QString errorText; // set when the connection asked for error texts
};

class ReplyParser
{
public:
    enum class Status
    {
        Complete,
        Incomplete,
        Malformed
    };
    explicit ReplyParser(std::size_t maxStringBytes = 256u << 20) : m_maxStringBytes(maxStringBytes)
    {
    }
    // Parses one reply from the front of data; on Complete, consumed says how many bytes
    // it took. On Malformed, error says why (an unknown tag or an absurd length).
    Status parse(const char *data, std::size_t size, Reply &reply, std::size_t &consumed);
    const QString &error() const { return m_error; }

private:
    std::size_t m_maxStringBytes;
    QString m_error;
};

} // namespace rivulet::native
