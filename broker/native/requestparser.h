#pragma once

#include "protocol.h"

#include <QString>

namespace rivulet::native {

// A parsed request. Its views point into the buffer given to RequestParser::parse and are
// valid only as long as those bytes are.
struct Request
{
    Action action = Action::Quit;
    QByteArrayView topic;
    std::uint32_t partition = 0;
    std::uint32_t offset = 0;
    std::uint32_t limit = 0;
    std::uint32_t count = 0;          // Produce: number of values; CreateTopic: partitions
    std::uint32_t options = 0;        // SetOptions
    std::int64_t retentionMs = -1;    // SetRetention (-1: keep everything)
    std::int64_t retentionBytes = -1; // SetRetention
    QByteArrayView values;            // Produce: `count` length-prefixed strings, back to back
    QByteArrayView consumerId;
};

// Walks the length-prefixed values of a Produce request (already bounds-checked).
class ValueIterator
{
public:
    explicit ValueIterator(QByteArrayView values)
        : m_p(values.data()), m_end(values.data() + values.size())
    {
    }
    bool next(QByteArrayView &value);

private:
    const char *m_p;
    const char *m_end;
};

// Incremental request parser. Call parse() with everything received and not yet consumed;
// it answers Incomplete until a whole request is there. A big Produce arriving in many
// reads is scanned once: the parser remembers how far it got, so the bytes passed again
// must start with the same request until it completes. Every length is checked against the
// maximum request size before the parser waits for (and the caller buffers) those bytes.
class RequestParser
{
public:
    enum class Status
    {
        Complete,
        Incomplete,
        Fatal
    };
    struct Result
    {
        Status status = Status::Incomplete;
        std::size_t consumed = 0; // Complete: the request's size in bytes
        Request request;
        QString error; // Fatal: why; the connection gets Error and is closed
    };

    explicit RequestParser(std::size_t maxRequestBytes = kDefaultMaxRequestBytes)
        : m_maxRequestBytes(maxRequestBytes)
    {
    }
    Result parse(const char *data, std::size_t size);
    std::size_t maxRequestBytes() const { return m_maxRequestBytes; }

private:
    Result parseFront(const char *data, std::size_t size);

    std::size_t m_maxRequestBytes;
    // progress through the values of a Produce that has not fully arrived yet
    bool m_resuming = false;
    std::size_t m_scanPos = 0;
    std::uint32_t m_scanned = 0;
};

} // namespace rivulet::native
