#include "replies.h"

#include "log/bytes.h"

#include <cstring>

namespace rivulet::native {

void appendEmpty(QByteArray &out)
{
    out.append(char(ReplyTag::Empty));
}

void appendContent(QByteArray &out, std::uint32_t offset, QByteArrayView value)
{
    // the hot path of Consume: one resize, then plain stores
    const qsizetype old = out.size();
    out.resize(old + 9 + value.size());
    char *p = out.data() + old;
    p[0] = char(ReplyTag::Content);
    be::writeU32(p + 1, offset);
    be::writeU32(p + 5, std::uint32_t(value.size()));
    if (!value.isEmpty())
        std::memcpy(p + 9, value.data(), std::size_t(value.size()));
}

void appendOffset(QByteArray &out, std::uint32_t offset)
{
    Writer(out).u8(std::uint8_t(ReplyTag::Offset)).u32(offset);
}

void appendError(QByteArray &out)
{
    out.append(char(ReplyTag::Error));
}

void appendErrorText(QByteArray &out, QByteArrayView text)
{
    Writer(out).u8(std::uint8_t(ReplyTag::ErrorText)).str(text);
}

void appendTopicPartition(QByteArray &out, const TopicPartitionInfo &info)
{
    Writer(out)
        .u8(std::uint8_t(ReplyTag::TopicPartition))
        .str(info.topic)
        .u32(info.partition)
        .u64(info.startOffset)
        .u64(info.endOffset)
        .u64(info.sizeBytes)
        .u64(info.lastAppendMs);
}

void appendConsumerPosition(QByteArray &out, const ConsumerPositionInfo &info)
{
    Writer(out)
        .u8(std::uint8_t(ReplyTag::ConsumerPosition))
        .str(info.consumer)
        .str(info.topic)
        .u32(info.partition)
        .u64(info.nextOffset)
        .u64(info.endOffset)
        .u64(info.delivered)
        .u64(info.lastSeenMs);
}

} // namespace rivulet::native
