#include "clientcodec.h"

#include "log/bytes.h"

#include <functional>

namespace rivulet::native {
namespace {

QByteArray encode(Action action, const std::function<void(Writer &)> &fields,
                  QByteArrayView consumerId)
{
    QByteArray out;
    Writer w(out);
    w.u8(std::uint8_t(action));
    if (fields)
        fields(w);
    w.str(consumerId);
    return out;
}

// Bounds-checked reads for the reply parser; every failure leaves ok false.
struct Reader
{
    const char *data;
    std::size_t size;
    std::size_t maxString;
    std::size_t pos = 0;
    bool incomplete = false;
    bool malformed = false;

    bool have(std::size_t n)
    {
        if (pos + n > size) {
            incomplete = true;
            return false;
        }
        return true;
    }
    std::uint32_t u32()
    {
        if (!have(4))
            return 0;
        pos += 4;
        return be::readU32(data + pos - 4);
    }
    std::uint64_t u64()
    {
        if (!have(8))
            return 0;
        pos += 8;
        return be::readU64(data + pos - 8);
    }
    QByteArray str()
    {
        const std::uint32_t length = u32();
        if (incomplete)
            return {};
        if (length > maxString) {
            malformed = true;
            return {};
        }
        if (!have(length))
            return {};
        pos += length;
        return QByteArray(data + pos - length, qsizetype(length));
    }
    bool ok() const { return !incomplete && !malformed; }
};

} // namespace

QByteArray encodeProduce(QByteArrayView topic, std::uint32_t partition,
                         const QList<QByteArray> &values, QByteArrayView consumerId)
{
    return encode(
        Action::Produce,
        [&](Writer &w) {
            w.str(topic).u32(partition).u32(std::uint32_t(values.size()));
            for (const QByteArray &v : values)
                w.str(v);
        },
        consumerId);
}

QByteArray encodeConsume(QByteArrayView topic, std::uint32_t partition, std::uint32_t offset,
                         std::uint32_t limit, QByteArrayView consumerId)
{
    return encode(
        Action::Consume, [&](Writer &w) { w.str(topic).u32(partition).u32(offset).u32(limit); },
        consumerId);
}

QByteArray encodeCreateTopic(QByteArrayView name, std::uint32_t partitions,
                             QByteArrayView consumerId)
{
    return encode(
        Action::CreateTopic, [&](Writer &w) { w.str(name).u32(partitions); }, consumerId);
}

QByteArray encodeQuit(QByteArrayView consumerId)
{
    return encode(Action::Quit, nullptr, consumerId);
}

QByteArray encodeListTopics(QByteArrayView consumerId)
{
    return encode(Action::ListTopics, nullptr, consumerId);
}

QByteArray encodeListConsumers(QByteArrayView consumerId)
{
    return encode(Action::ListConsumers, nullptr, consumerId);
}

QByteArray encodeDeleteTopic(QByteArrayView name, QByteArrayView consumerId)
{
    return encode(
        Action::DeleteTopic, [&](Writer &w) { w.str(name); }, consumerId);
}

QByteArray encodeSetRetention(QByteArrayView name, std::int64_t retentionMs,
                              std::int64_t retentionBytes, QByteArrayView consumerId)
{
    return encode(
        Action::SetRetention,
        [&](Writer &w) {
            w.str(name).u64(std::uint64_t(retentionMs)).u64(std::uint64_t(retentionBytes));
        },
        consumerId);
}

QByteArray encodeSetOptions(std::uint32_t options, QByteArrayView consumerId)
{
    return encode(
        Action::SetOptions, [&](Writer &w) { w.u32(options); }, consumerId);
}

ReplyParser::Status ReplyParser::parse(const char *data, std::size_t size, Reply &reply,
                                       std::size_t &consumed)
{
    Reply parsed;
    Reader r{data, size, m_maxStringBytes, 0, false, false};
    while (r.have(1)) {
        const auto tag = static_cast<std::uint8_t>(data[r.pos++]);
        switch (tag) {
        case std::uint8_t(ReplyTag::Empty):
            consumed = r.pos;
            reply = std::move(parsed);
            return Status::Complete;
        case std::uint8_t(ReplyTag::Content): {
            ContentRecord record;
            record.offset = r.u32();
            record.value = r.str();
            if (r.ok())
                parsed.contents.append(std::move(record));
            break;
        }
        case std::uint8_t(ReplyTag::Offset): {
            const std::uint32_t offset = r.u32();
            if (r.ok())
                parsed.offsets.append(offset);
            break;
        }
        case std::uint8_t(ReplyTag::Error):
            parsed.error = true;
            break;
        case std::uint8_t(ReplyTag::ErrorText):
            parsed.errorText = QString::fromUtf8(r.str());
            break;
        case std::uint8_t(ReplyTag::TopicPartition): {
            TopicPartitionInfo info;
            info.topic = r.str();
            info.partition = r.u32();
            info.startOffset = r.u64();
            info.endOffset = r.u64();
            info.sizeBytes = r.u64();
            info.lastAppendMs = r.u64();
            if (r.ok())
                parsed.topicPartitions.append(std::move(info));
            break;
        }
        case std::uint8_t(ReplyTag::ConsumerPosition): {
            ConsumerPositionInfo info;
            info.consumer = r.str();
            info.topic = r.str();
            info.partition = r.u32();
            info.nextOffset = r.u64();
            info.endOffset = r.u64();
            info.delivered = r.u64();
            info.lastSeenMs = r.u64();
            if (r.ok())
                parsed.consumerPositions.append(std::move(info));
            break;
        }
        default:
            m_error = QStringLiteral("unknown reply tag %1").arg(tag);
            return Status::Malformed;
        }
        if (r.malformed) {
            m_error = QStringLiteral("reply string longer than %1 bytes").arg(m_maxStringBytes);
            return Status::Malformed;
        }
        if (r.incomplete)
            return Status::Incomplete;
    }
    return Status::Incomplete;
}

} // namespace rivulet::native
