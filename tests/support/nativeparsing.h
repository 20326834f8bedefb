#pragma once

// Driving the native codec's parsers the way a session does, for the codec tests: exact-size
// copies of the input (so AddressSanitizer sees a read one byte too far), a parsed request as
// comparable values, and a byte stream fed in chunks or in one read. Readable QCOMPARE
// failures for the parsers' status enums. Header-only; include it from tests/tst_*.cpp.

#include "native/clientcodec.h"
#include "native/requestparser.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace rivulet::native {

// Readable QCOMPARE failures for the codec's status enums (found by argument-dependent lookup).
inline char *toString(RequestParser::Status s)
{
    switch (s) {
    case RequestParser::Status::Complete:
        return qstrdup("Complete");
    case RequestParser::Status::Incomplete:
        return qstrdup("Incomplete");
    case RequestParser::Status::Fatal:
        return qstrdup("Fatal");
    }
    return qstrdup("?");
}

inline char *toString(ReplyParser::Status s)
{
    switch (s) {
    case ReplyParser::Status::Complete:
        return qstrdup("Complete");
    case ReplyParser::Status::Incomplete:
        return qstrdup("Incomplete");
    case ReplyParser::Status::Malformed:
        return qstrdup("Malformed");
    }
    return qstrdup("?");
}

inline char *toString(Action a)
{
    return qstrdup(QByteArray::number(int(a)).constData());
}

} // namespace rivulet::native

namespace rivulet::testsupport {

using Status = native::RequestParser::Status;
using RStatus = native::ReplyParser::Status;

// An exact-size heap copy of the first n bytes: AddressSanitizer then catches a read even one
// byte past what was given, and every call sees the data at a new address, as a session's
// buffer does when it grows.
inline std::vector<char> exact(QByteArrayView bytes, std::size_t n)
{
    return std::vector<char>(bytes.data(), bytes.data() + n);
}

inline std::size_t usize(qsizetype n)
{
    return std::size_t(n);
}

inline QList<QByteArray> valuesOf(const native::Request &r)
{
    QList<QByteArray> out;
    native::ValueIterator it(r.values);
    QByteArrayView v;
    while (it.next(v))
        out.append(v.toByteArray());
    return out;
}

// The fields of a request with its views copied out, so requests parsed from different
// buffers compare by content.
struct Parsed
{
    Status status = Status::Incomplete;
    std::size_t consumed = 0;
    int action = -1;
    QByteArray topic;
    quint32 partition = 0, offset = 0, limit = 0, count = 0, options = 0;
    qint64 retentionMs = 0, retentionBytes = 0;
    QList<QByteArray> values;
    QByteArray consumerId;

    bool operator==(const Parsed &) const = default;
};

inline Parsed summarize(const native::RequestParser::Result &result)
{
    Parsed p;
    p.status = result.status;
    p.consumed = result.consumed;
    if (result.status != Status::Complete)
        return p;
    const native::Request &r = result.request;
    p.action = int(r.action);
    p.topic = r.topic.toByteArray();
    p.partition = r.partition;
    p.offset = r.offset;
    p.limit = r.limit;
    p.count = r.count;
    p.options = r.options;
    p.retentionMs = r.retentionMs;
    p.retentionBytes = r.retentionBytes;
    p.values = valuesOf(r);
    p.consumerId = r.consumerId.toByteArray();
    return p;
}

inline Parsed parseFresh(QByteArrayView bytes, std::size_t n,
                         std::size_t max = native::kDefaultMaxRequestBytes)
{
    native::RequestParser parser(max);
    const auto copy = exact(bytes, n);
    return summarize(parser.parse(copy.data(), copy.size()));
}

// Feeds a byte stream to one RequestParser the way a session does: bytes arrive in the given
// chunk sizes, consumed bytes are dropped, and the parser always sees the unconsumed rest
// (copied to a new exact-size buffer each time). Stops at the first Fatal.
inline QList<Parsed> runSession(const QByteArray &stream, const QList<std::size_t> &chunks,
                                std::size_t max)
{
    native::RequestParser parser(max);
    QList<Parsed> out;
    std::size_t start = 0; // first unconsumed byte
    std::size_t arrived = 0;
    qsizetype chunk = 0;
    while (true) {
        const auto copy = exact(QByteArrayView(stream).sliced(qsizetype(start)), arrived - start);
        const auto result = parser.parse(copy.data(), copy.size());
        if (result.status == Status::Complete) {
            if (result.consumed == 0 || result.consumed > copy.size())
                return out << Parsed{}; // a bogus marker the caller's comparison will catch
            out << summarize(result);
            start += result.consumed;
            continue;
        }
        if (result.status == Status::Fatal) {
            out << summarize(result);
            return out;
        }
        if (arrived == usize(stream.size())) {
            out << summarize(result);
            return out;
        }
        const std::size_t step = chunk < chunks.size() ? chunks[chunk++] : 1;
        arrived = std::min(usize(stream.size()), arrived + std::max<std::size_t>(step, 1));
    }
}

// The same stream parsed with a new parser for each request and all bytes present at once.
inline QList<Parsed> runReference(const QByteArray &stream, std::size_t max)
{
    QList<Parsed> out;
    std::size_t start = 0;
    while (true) {
        const Parsed p = parseFresh(QByteArrayView(stream).sliced(qsizetype(start)),
                                    usize(stream.size()) - start, max);
        out << p;
        if (p.status != Status::Complete || p.consumed == 0)
            return out;
        start += p.consumed;
    }
}

} // namespace rivulet::testsupport
