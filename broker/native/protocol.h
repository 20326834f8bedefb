#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <cstddef>
#include <cstdint>

// The native ("seed") wire protocol: byte for byte the original broker's, plus the actions
// and reply records Rivulet added with tags the seed never used. docs/PROTOCOL.md has every byte.
namespace rivulet::native {

enum class Action : std::uint8_t
{
    Produce = 1,
    Consume = 2,
    CreateTopic = 3,
    Quit = 4,
    // Rivulet additions
    ListTopics = 5,
    ListConsumers = 6,
    DeleteTopic = 7,
    SetOptions = 8,
    SetRetention = 9,
};

enum class ReplyTag : std::uint8_t
{
    Empty = 0,
    Content = 1,
    Offset = 2,
    Error = 3,
    // Rivulet additions, sent only in answer to Rivulet's own actions or options
    TopicPartition = 4,
    ConsumerPosition = 5,
    ErrorText = 6,
};

constexpr std::size_t kDefaultMaxRequestBytes = 64u << 20;
// Consumer ids longer than this are refused with Error (they name rows in the monitor).
constexpr std::size_t kMaxConsumerIdBytes = 4096;
// SetOptions bit: follow each Error record with an ErrorText record saying why.
constexpr std::uint32_t kOptionErrorText = 1;

// One partition as ListTopics reports it.
struct TopicPartitionInfo
{
    QByteArray topic;
    std::uint32_t partition = 0;
    std::uint64_t startOffset = 0;
    std::uint64_t endOffset = 0;
    std::uint64_t sizeBytes = 0;
    std::uint64_t lastAppendMs = 0;
};

// One consumer's position in one partition as ListConsumers reports it.
struct ConsumerPositionInfo
{
    QByteArray consumer;
    QByteArray topic;
    std::uint32_t partition = 0;
    std::uint64_t nextOffset = 0;
    std::uint64_t endOffset = 0;
    std::uint64_t delivered = 0;
    std::uint64_t lastSeenMs = 0;
};

// Appends big-endian fields to a byte array; used by both the request and reply encoders.
class Writer
{
public:
    explicit Writer(QByteArray &out) : m_out(out) {}
    Writer &u8(std::uint8_t v);
    Writer &u32(std::uint32_t v);
    Writer &u64(std::uint64_t v);
    Writer &str(QByteArrayView bytes);

private:
    char *grow(qsizetype n);
    QByteArray &m_out;
};

} // namespace rivulet::native
