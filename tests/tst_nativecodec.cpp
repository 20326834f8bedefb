#include "native/clientcodec.h"
#include "native/replies.h"
#include "native/requestparser.h"

#include <QHash>
#include <QRandomGenerator>
#include <QTest>

#include <iterator>
#include <vector>

using namespace rivulet::native;

namespace rivulet::native {

// Readable QCOMPARE failures for the codec's status enums (found by argument-dependent lookup).
char *toString(RequestParser::Status s)
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

char *toString(ReplyParser::Status s)
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

char *toString(Action a)
{
    return qstrdup(QByteArray::number(int(a)).constData());
}

} // namespace rivulet::native

namespace {

using Status = RequestParser::Status;
using RStatus = ReplyParser::Status;

// Builds wire bytes by hand, field by field as the protocol describes them, so the codec is
// checked against the layout and not only against its own Writer.
class Bytes
{
public:
    Bytes &u8(unsigned v)
    {
        m_bytes.append(char(v & 0xFF));
        return *this;
    }
    Bytes &u32(quint32 v)
    {
        for (int s = 24; s >= 0; s -= 8)
            u8(unsigned(v >> s));
        return *this;
    }
    Bytes &u64(quint64 v)
    {
        for (int s = 56; s >= 0; s -= 8)
            u8(unsigned(v >> s));
        return *this;
    }
    Bytes &str(QByteArrayView s)
    {
        u32(quint32(s.size()));
        m_bytes.append(s);
        return *this;
    }
    Bytes &raw(QByteArrayView s)
    {
        m_bytes.append(s);
        return *this;
    }
    operator QByteArray() const { return m_bytes; }
    qsizetype size() const { return m_bytes.size(); }

private:
    QByteArray m_bytes;
};

QByteArray hex(const QByteArray &bytes)
{
    return bytes.toHex(' ');
}

// An exact-size heap copy of the first n bytes: AddressSanitizer then catches a read even one
// byte past what was given, and every call sees the data at a new address, as a session's
// buffer does when it grows.
std::vector<char> exact(QByteArrayView bytes, std::size_t n)
{
    return std::vector<char>(bytes.data(), bytes.data() + n);
}

std::size_t usize(qsizetype n)
{
    return std::size_t(n);
}

bool inside(QByteArrayView view, const char *begin, std::size_t size)
{
    if (view.isEmpty())
        return true;
    const auto b = reinterpret_cast<std::uintptr_t>(begin);
    const auto v = reinterpret_cast<std::uintptr_t>(view.data());
    return v >= b && v + std::size_t(view.size()) <= b + size;
}

QList<QByteArray> valuesOf(const Request &r)
{
    QList<QByteArray> out;
    ValueIterator it(r.values);
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

Parsed summarize(const RequestParser::Result &result)
{
    Parsed p;
    p.status = result.status;
    p.consumed = result.consumed;
    if (result.status != Status::Complete)
        return p;
    const Request &r = result.request;
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

Parsed parseFresh(QByteArrayView bytes, std::size_t n, std::size_t max = kDefaultMaxRequestBytes)
{
    RequestParser parser(max);
    const auto copy = exact(bytes, n);
    return summarize(parser.parse(copy.data(), copy.size()));
}

// Hand-built, valid requests of every action, each with something unusual in it.
QList<QPair<QByteArray, QByteArray>> validRequests()
{
    return {
        {"produce", Bytes().u8(1).str("orders").u32(3).u32(2).str("a").str("hello").str("c1")},
        {"produce-binary", Bytes()
                               .u8(1)
                               .str(QByteArray("t\0p", 3))
                               .u32(0xFFFFFFFF)
                               .u32(3)
                               .str(QByteArray("\0\xff\x01", 3))
                               .str("")
                               .str(QByteArray(300, 'x'))
                               .str("")},
        {"produce-zero", Bytes().u8(1).str("t").u32(0).u32(0).str("c")},
        {"consume", Bytes().u8(2).str("orders").u32(1).u32(0x01020304).u32(100).str("me")},
        {"consume-empty", Bytes().u8(2).str("").u32(0).u32(0).u32(0).str("")},
        {"create", Bytes().u8(3).str("events").u32(8).str("admin")},
        {"quit", Bytes().u8(4).str("bye")},
        {"quit-anon", Bytes().u8(4).str("")},
        {"list-topics", Bytes().u8(5).str("ui")},
        {"list-consumers", Bytes().u8(6).str("")},
        {"set-options", Bytes().u8(8).u32(0x80000001).str("cli")},
        {"delete-topic", Bytes().u8(7).str("old").str("admin")},
        {"set-retention", Bytes().u8(9).str("t").u64(0x0102030405060708).u64(~0ull).str("c")},
    };
}

// Hand-built, valid replies of every record kind.
QList<QPair<QByteArray, QByteArray>> validReplies()
{
    return {
        {"empty", Bytes().u8(0)},
        {"content",
         Bytes().u8(1).u32(7).str("hi").u8(1).u32(0xFFFFFFFF).str(QByteArray("\0", 1)).u8(0)},
        {"content-empty-value", Bytes().u8(1).u32(0).str("").u8(0)},
        {"offset", Bytes().u8(2).u32(4).u8(0)},
        {"error", Bytes().u8(3).u8(0)},
        {"error-text", Bytes().u8(3).u8(6).str("no such topic").u8(0)},
        {"topic-partitions", Bytes()
                                 .u8(4)
                                 .str("orders")
                                 .u32(0)
                                 .u64(0)
                                 .u64(10)
                                 .u64(1234)
                                 .u64(1700000000000)
                                 .u8(4)
                                 .str("orders")
                                 .u32(1)
                                 .u64(0x0102030405060708)
                                 .u64(0xFFFFFFFFFFFFFFFF)
                                 .u64(0)
                                 .u64(0)
                                 .u8(0)},
        {"consumer-position", Bytes()
                                  .u8(5)
                                  .str("c1")
                                  .str("orders")
                                  .u32(2)
                                  .u64(5)
                                  .u64(9)
                                  .u64(5)
                                  .u64(1700000000001)
                                  .u8(0)},
    };
}

// Feeds a byte stream to one RequestParser the way a session does: bytes arrive in the given
// chunk sizes, consumed bytes are dropped, and the parser always sees the unconsumed rest
// (copied to a new exact-size buffer each time). Stops at the first Fatal.
QList<Parsed> runSession(const QByteArray &stream, const QList<std::size_t> &chunks,
                         std::size_t max)
{
    RequestParser parser(max);
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
QList<Parsed> runReference(const QByteArray &stream, std::size_t max)
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

// Checks what must hold for any bytes at all; returns false with a message on a violation.
bool checkRequestInvariants(const QByteArray &bytes, std::size_t max, QString &why, Status &status)
{
    RequestParser parser(max);
    const auto copy = exact(bytes, usize(bytes.size()));
    const auto result = parser.parse(copy.data(), copy.size());
    status = result.status;
    switch (result.status) {
    case Status::Complete: {
        const Request &r = result.request;
        if (result.consumed == 0 || result.consumed > copy.size() || result.consumed > max) {
            why = QStringLiteral("consumed %1 of %2").arg(result.consumed).arg(copy.size());
            return false;
        }
        if (!inside(r.topic, copy.data(), result.consumed) ||
            !inside(r.values, copy.data(), result.consumed) ||
            !inside(r.consumerId, copy.data(), result.consumed)) {
            why = QStringLiteral("a view points outside the request");
            return false;
        }
        if (r.action == Action::Produce) {
            ValueIterator it(r.values);
            QByteArrayView v;
            quint32 n = 0;
            std::size_t total = 0;
            while (it.next(v)) {
                if (!inside(v, r.values.data(), usize(r.values.size()))) {
                    why = QStringLiteral("value %1 points outside the values").arg(n);
                    return false;
                }
                total += 4 + usize(v.size());
                ++n;
            }
            if (n != r.count || total != usize(r.values.size())) {
                why = QStringLiteral("iterated %1 values, count %2").arg(n).arg(r.count);
                return false;
            }
        }
        break;
    }
    case Status::Incomplete:
        // the caller must never have to buffer more than the maximum for one request
        if (copy.size() >= max) {
            why = QStringLiteral("Incomplete with %1 bytes, maximum %2").arg(copy.size()).arg(max);
            return false;
        }
        break;
    case Status::Fatal:
        if (result.error.isEmpty()) {
            why = QStringLiteral("Fatal without an error text");
            return false;
        }
        break;
    }
    return true;
}

bool checkReplyInvariants(const QByteArray &bytes, std::size_t maxString, QString &why,
                          RStatus &status)
{
    ReplyParser parser(maxString);
    Reply reply;
    std::size_t consumed = 0;
    const auto copy = exact(bytes, usize(bytes.size()));
    status = parser.parse(copy.data(), copy.size(), reply, consumed);
    if (status == RStatus::Malformed && parser.error().isEmpty()) {
        why = QStringLiteral("Malformed without an error text");
        return false;
    }
    if (status != RStatus::Complete)
        return true;
    if (consumed == 0 || consumed > copy.size()) {
        why = QStringLiteral("consumed %1 of %2").arg(consumed).arg(copy.size());
        return false;
    }
    // every shorter prefix of a complete reply is just incomplete
    for (std::size_t n = 0; n < consumed; ++n) {
        ReplyParser p(maxString);
        Reply r;
        std::size_t c = 0;
        const auto prefix = exact(bytes, n);
        const RStatus s = p.parse(prefix.data(), prefix.size(), r, c);
        if (s != RStatus::Incomplete) {
            why = QStringLiteral("prefix %1 of a complete reply is not Incomplete").arg(n);
            return false;
        }
    }
    return true;
}

// Applies a few random edits of the kinds that expose length handling bugs.
QByteArray mutate(QByteArray bytes, QRandomGenerator &rng)
{
    static const quint32 interesting[] = {
        0,      1,       3,          4,          5,          0x7F,       0xFF,      0x100,
        0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFB, 0xFFFFFFFC, 0xFFFFFFFF};
    const int edits = 1 + int(rng.bounded(4));
    for (int e = 0; e < edits; ++e) {
        const int kind = int(rng.bounded(6));
        if (bytes.isEmpty()) {
            bytes.append(char(rng.bounded(256)));
            continue;
        }
        const auto at = qsizetype(rng.bounded(quint32(bytes.size())));
        switch (kind) {
        case 0: // overwrite one byte
            bytes[at] = char(rng.bounded(256));
            break;
        case 1: { // overwrite four bytes with an interesting big-endian value
            const quint32 v = interesting[rng.bounded(quint32(std::size(interesting)))];
            for (int i = 0; i < 4 && at + i < bytes.size(); ++i)
                bytes[at + i] = char(v >> (24 - 8 * i));
            break;
        }
        case 2: // truncate
            bytes.truncate(at);
            break;
        case 3: // insert a byte
            bytes.insert(at, char(rng.bounded(256)));
            break;
        case 4: // remove a few bytes
            bytes.remove(at, 1 + qsizetype(rng.bounded(4)));
            break;
        case 5: // duplicate a slice
            bytes.append(bytes.mid(at, 1 + qsizetype(rng.bounded(16))));
            break;
        }
    }
    return bytes;
}

QByteArray randomBytes(QRandomGenerator &rng, int maxLength)
{
    QByteArray b(qsizetype(rng.bounded(maxLength + 1)), Qt::Uninitialized);
    for (char &c : b)
        c = char(rng.bounded(256));
    // Random bytes rarely make a valid tag or a small length; steer half of them to do so.
    if (!b.isEmpty() && rng.bounded(2) == 0) {
        static const unsigned char tags[] = {1, 2, 3, 4, 5, 6, 8, 0, 7, 9, 10};
        b[0] = char(tags[rng.bounded(quint32(std::size(tags)))]);
        for (qsizetype i = 1; i + 4 <= b.size(); i += 4) {
            if (rng.bounded(3) != 0) {
                b[i] = b[i + 1] = b[i + 2] = 0;
                b[i + 3] = char(rng.bounded(12));
            }
        }
    }
    return b;
}

QByteArray randomReply(QRandomGenerator &rng, int maxLength)
{
    QByteArray b(qsizetype(rng.bounded(maxLength + 1)), Qt::Uninitialized);
    for (char &c : b)
        c = char(rng.bounded(256));
    if (rng.bounded(2) == 0) {
        // mostly small tags and small lengths, so that records actually parse
        for (qsizetype i = 0; i < b.size(); ++i) {
            const quint32 pick = rng.bounded(8);
            if (pick < 3)
                b[i] = char(rng.bounded(7));
            else if (pick < 6)
                b[i] = 0;
        }
    }
    return b;
}

} // namespace

class TestNativeCodec : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // ---- RequestParser: every action from hand-built bytes ----

    void parsesProduce()
    {
        const QByteArray req =
            Bytes().u8(1).str("orders").u32(3).u32(2).str("a").str("hello").str("c1");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        const Request &r = result.request;
        QCOMPARE(r.action, Action::Produce);
        QCOMPARE(r.topic, QByteArrayView("orders"));
        QCOMPARE(r.partition, 3u);
        QCOMPARE(r.count, 2u);
        // values: exactly the length-prefixed strings, as views into the given buffer
        // (pointers compared with QVERIFY: QCOMPARE would compare them as C strings)
        QVERIFY(r.values.data() == req.constData() + 1 + 4 + 6 + 4 + 4);
        QCOMPARE(hex(r.values.toByteArray()), hex(Bytes().str("a").str("hello")));
        QCOMPARE(valuesOf(r), (QList<QByteArray>{"a", "hello"}));
        QCOMPARE(r.consumerId, QByteArrayView("c1"));
        QVERIFY(r.consumerId.data() == req.constData() + req.size() - 2);
    }

    void parsesProduceWithBinaryValues()
    {
        const QByteArray v0("\0\xff\x01", 3);
        const QByteArray v2(70000, '\x80');
        const QByteArray req = Bytes()
                                   .u8(1)
                                   .str(QByteArray("t\0p", 3))
                                   .u32(0xFFFFFFFF)
                                   .u32(3)
                                   .str(v0)
                                   .str("")
                                   .str(v2)
                                   .str("");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.topic, QByteArrayView(QByteArray("t\0p", 3)));
        QCOMPARE(result.request.partition, 0xFFFFFFFFu);
        QCOMPARE(result.request.count, 3u);
        QCOMPARE(valuesOf(result.request), (QList<QByteArray>{v0, QByteArray(), v2}));
        QVERIFY(result.request.consumerId.isEmpty());
    }

    void parsesProduceWithCountZero()
    {
        const QByteArray req = Bytes().u8(1).str("t").u32(0).u32(0).str("c");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::Produce);
        QCOMPARE(result.request.count, 0u);
        QCOMPARE(result.request.values.size(), 0);
        QVERIFY(valuesOf(result.request).isEmpty());
        QCOMPARE(result.request.consumerId, QByteArrayView("c"));
    }

    void parsesConsume()
    {
        const QByteArray req =
            Bytes().u8(2).str("orders").u32(1).u32(0x01020304).u32(0xFFFFFFFF).str("me");
        QCOMPARE(hex(req), QByteArray("02 00 00 00 06 6f 72 64 65 72 73 00 00 00 01 01 02 03 04 "
                                      "ff ff ff ff 00 00 00 02 6d 65"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        const Request &r = result.request;
        QCOMPARE(r.action, Action::Consume);
        QCOMPARE(r.topic, QByteArrayView("orders"));
        QVERIFY(r.topic.data() == req.constData() + 5);
        QCOMPARE(r.partition, 1u);
        QCOMPARE(r.offset, 0x01020304u);
        QCOMPARE(r.limit, 0xFFFFFFFFu);
        QCOMPARE(r.consumerId, QByteArrayView("me"));
    }

    void parsesCreateTopic()
    {
        const QByteArray req = Bytes().u8(3).str("events").u32(8).str("admin");
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::CreateTopic);
        QCOMPARE(result.request.topic, QByteArrayView("events"));
        QCOMPARE(result.request.count, 8u);
        QCOMPARE(result.request.consumerId, QByteArrayView("admin"));
    }

    void parsesActionsWithOnlyAConsumerId_data()
    {
        QTest::addColumn<int>("tag");
        QTest::addColumn<int>("action");
        QTest::newRow("quit") << 4 << int(Action::Quit);
        QTest::newRow("list-topics") << 5 << int(Action::ListTopics);
        QTest::newRow("list-consumers") << 6 << int(Action::ListConsumers);
    }
    void parsesActionsWithOnlyAConsumerId()
    {
        QFETCH(int, tag);
        QFETCH(int, action);
        for (const QByteArray &id : {QByteArray(), QByteArray("someone"), QByteArray(5000, 'i')}) {
            const QByteArray req = Bytes().u8(unsigned(tag)).str(id);
            RequestParser parser;
            const auto result = parser.parse(req.constData(), usize(req.size()));
            QCOMPARE(result.status, Status::Complete);
            QCOMPARE(result.consumed, usize(req.size()));
            QCOMPARE(int(result.request.action), action);
            QCOMPARE(result.request.consumerId.toByteArray(), id);
            QVERIFY(result.request.topic.isEmpty());
        }
    }

    void parsesSetOptions()
    {
        const QByteArray req = Bytes().u8(8).u32(kOptionErrorText | 0x80000000u).str("cli");
        QCOMPARE(hex(req), QByteArray("08 80 00 00 01 00 00 00 03 63 6c 69"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::SetOptions);
        QCOMPARE(result.request.options, 0x80000001u);
        QCOMPARE(result.request.consumerId, QByteArrayView("cli"));
    }

    void parsesDeleteTopic()
    {
        const QByteArray req = Bytes().u8(7).str("old").str("admin");
        QCOMPARE(hex(req), QByteArray("07 00 00 00 03 6f 6c 64 00 00 00 05 61 64 6d 69 6e"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::DeleteTopic);
        QCOMPARE(result.request.topic, QByteArrayView("old"));
        QCOMPARE(result.request.consumerId, QByteArrayView("admin"));
    }

    void parsesSetRetention()
    {
        // retention fields are signed 64-bit big-endian; -1 keeps everything
        const QByteArray req = Bytes().u8(9).str("t").u64(0x0102030405060708).u64(~0ull).str("c");
        QCOMPARE(hex(req), QByteArray("09 00 00 00 01 74 01 02 03 04 05 06 07 08 "
                                      "ff ff ff ff ff ff ff ff 00 00 00 01 63"));
        RequestParser parser;
        const auto result = parser.parse(req.constData(), usize(req.size()));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, usize(req.size()));
        QCOMPARE(result.request.action, Action::SetRetention);
        QCOMPARE(result.request.topic, QByteArrayView("t"));
        QCOMPARE(result.request.retentionMs, qint64(0x0102030405060708));
        QCOMPARE(result.request.retentionBytes, qint64(-1));
        QCOMPARE(result.request.consumerId, QByteArrayView("c"));
    }

    void consumedExcludesFollowingBytes()
    {
        for (const auto &[name, req] : validRequests()) {
            const QByteArray more = req + QByteArray("\x04\x00\x00", 3);
            RequestParser parser;
            const auto result = parser.parse(more.constData(), usize(more.size()));
            QVERIFY2(result.status == Status::Complete, name.constData());
            QCOMPARE(result.consumed, usize(req.size()));
        }
    }

    void emptyInputIsIncomplete()
    {
        RequestParser parser;
        const auto result = parser.parse(nullptr, 0);
        QCOMPARE(result.status, Status::Incomplete);
        QCOMPARE(result.consumed, std::size_t(0));
        QCOMPARE(parser.maxRequestBytes(), kDefaultMaxRequestBytes);
    }

    // ---- RequestParser: requests split over many reads ----

    void splitAtEveryByte_data()
    {
        QTest::addColumn<QByteArray>("request");
        for (const auto &[name, req] : validRequests())
            QTest::newRow(name.constData()) << req;
    }
    void splitAtEveryByte()
    {
        QFETCH(QByteArray, request);
        const std::size_t size = usize(request.size());
        const Parsed whole = parseFresh(request, size);
        QCOMPARE(whole.status, Status::Complete);
        QCOMPARE(whole.consumed, size);

        // one read of a prefix, then everything
        for (std::size_t k = 0; k < size; ++k) {
            RequestParser parser;
            const auto prefix = exact(request, k);
            const auto first = parser.parse(prefix.data(), prefix.size());
            QVERIFY2(first.status == Status::Incomplete, qPrintable(QString::number(k)));
            QCOMPARE(first.consumed, std::size_t(0));
            const auto all = exact(request, size);
            QCOMPARE(summarize(parser.parse(all.data(), all.size())), whole);
        }

        // one byte per read into the same parser, as a slow session sees it
        RequestParser parser;
        for (std::size_t k = 0; k < size; ++k) {
            const auto prefix = exact(request, k);
            QVERIFY2(parser.parse(prefix.data(), prefix.size()).status == Status::Incomplete,
                     qPrintable(QString::number(k)));
        }
        const auto all = exact(request, size);
        QCOMPARE(summarize(parser.parse(all.data(), all.size())), whole);

        // and the parser is ready for the next request afterwards
        const QByteArray quit = Bytes().u8(4).str("next");
        const auto next = parser.parse(quit.constData(), usize(quit.size()));
        QCOMPARE(next.status, Status::Complete);
        QCOMPARE(next.request.action, Action::Quit);
        QCOMPARE(next.request.consumerId, QByteArrayView("next"));
    }

    void concatenatedRequests()
    {
        QByteArray stream;
        QList<Parsed> expected;
        for (const auto &[name, req] : validRequests()) {
            stream += req;
            expected << parseFresh(req, usize(req.size()));
            QCOMPARE(expected.last().status, Status::Complete);
        }

        // all in one buffer, parsed one after another by one parser
        RequestParser parser;
        std::size_t pos = 0;
        for (const Parsed &want : expected) {
            const auto result = parser.parse(stream.constData() + pos, usize(stream.size()) - pos);
            QCOMPARE(summarize(result), want);
            pos += result.consumed;
        }
        QCOMPARE(pos, usize(stream.size()));
        QCOMPARE(parser.parse(stream.constData() + pos, 0).status, Status::Incomplete);

        // a trailing partial request stays Incomplete
        const QByteArray partial = stream + QByteArray("\x01\x00\x00\x00", 4);
        pos = 0;
        for (int i = 0; i < expected.size(); ++i)
            pos += parser.parse(partial.constData() + pos, usize(partial.size()) - pos).consumed;
        QCOMPARE(parser.parse(partial.constData() + pos, 4).status, Status::Incomplete);

        // the same stream arriving in reads of every size from 1 to 40 bytes
        const QList<Parsed> reference = runReference(stream, kDefaultMaxRequestBytes);
        for (std::size_t step = 1; step <= 40; ++step) {
            const QList<Parsed> got =
                runSession(stream, QList<std::size_t>(1000, step), kDefaultMaxRequestBytes);
            QVERIFY2(got == reference, qPrintable(QString::number(step)));
        }
    }

    void largeProduceInChunks()
    {
        constexpr int kValues = 100000;
        const auto value = [](int i) {
            return QByteArray::number(i) + QByteArray(i % 23, char('a' + i % 26));
        };
        Bytes b;
        b.u8(1).str("big").u32(7).u32(kValues);
        for (int i = 0; i < kValues; ++i)
            b.str(value(i));
        b.str("bulk");
        const QByteArray req = b;
        const std::size_t size = usize(req.size());
        constexpr std::size_t kChunk = 64 * 1024;
        QVERIFY(size > 20 * kChunk);

        RequestParser parser;
        RequestParser::Result result;
        int reads = 0;
        for (std::size_t arrived = kChunk;; arrived += kChunk) {
            const std::size_t n = std::min(arrived, size);
            result = parser.parse(req.constData(), n);
            ++reads;
            if (n == size)
                break;
            QVERIFY2(result.status == Status::Incomplete, qPrintable(QString::number(n)));
        }
        QCOMPARE(reads, int((size + kChunk - 1) / kChunk));
        QCOMPARE(result.status, Status::Complete);
        QCOMPARE(result.consumed, size);
        QCOMPARE(result.request.count, quint32(kValues));
        QCOMPARE(result.request.topic, QByteArrayView("big"));
        QCOMPARE(result.request.partition, 7u);
        QCOMPARE(result.request.consumerId, QByteArrayView("bulk"));

        ValueIterator it(result.request.values);
        QByteArrayView v;
        int i = 0;
        while (it.next(v)) {
            if (v != QByteArrayView(value(i)))
                QFAIL(qPrintable(QStringLiteral("value %1 differs").arg(i)));
            ++i;
        }
        QCOMPARE(i, kValues);
    }

    void valueIterator()
    {
        const QByteArray values = Bytes().str("").str("x").str(QByteArray(1000, 'y'));
        ValueIterator it(values);
        QByteArrayView v;
        QVERIFY(it.next(v));
        QCOMPARE(v.size(), 0);
        QVERIFY(it.next(v));
        QCOMPARE(v, QByteArrayView("x"));
        QVERIFY(v.data() == values.constData() + 8);
        QVERIFY(it.next(v));
        QCOMPARE(v.toByteArray(), QByteArray(1000, 'y'));
        QVERIFY(!it.next(v));
        QVERIFY(!it.next(v));

        ValueIterator none{QByteArrayView()};
        QVERIFY(!none.next(v));
    }

    // ---- RequestParser: malformed input ----

    // (7 and 9 were unknown until DeleteTopic and SetRetention took them.)
    void unknownTagIsFatal_data()
    {
        QTest::addColumn<int>("tag");
        for (int tag : {0, 10, 0x63, 0xFF})
            QTest::newRow(qPrintable(QString::number(tag))) << tag;
    }
    void unknownTagIsFatal()
    {
        QFETCH(int, tag);
        const QByteArray alone = Bytes().u8(unsigned(tag));
        const QByteArray withId = Bytes().u8(unsigned(tag)).str("c");
        for (const QByteArray &req : {alone, withId}) {
            RequestParser parser;
            const auto copy = exact(req, usize(req.size()));
            const auto result = parser.parse(copy.data(), copy.size());
            QCOMPARE(result.status, Status::Fatal);
            QVERIFY(!result.error.isEmpty());
            QVERIFY2(result.error.contains(QString::number(tag)), qPrintable(result.error));
        }
    }

    // Each row stops right after a length or count that cannot fit the maximum: the parser
    // must say Fatal from these bytes alone, before the bytes it announces have arrived.
    void oversizedFromHeaderAlone_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<qulonglong>("max");
        const qulonglong def = kDefaultMaxRequestBytes;
        QTest::newRow("produce count ffffffff")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(0xFFFFFFFF)) << def;
        QTest::newRow("produce count over max/4")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(quint32(def / 4))) << def;
        QTest::newRow("produce topic ffffffff") << QByteArray(Bytes().u8(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("produce topic = max") << QByteArray(Bytes().u8(1).u32(quint32(def))) << def;
        QTest::newRow("produce value ffffffff")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(2).str("a").u32(0xFFFFFFFF)) << def;
        QTest::newRow("produce consumer id ffffffff")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(1).str("a").u32(0xFFFFFFFF)) << def;
        QTest::newRow("consume topic ffffffff") << QByteArray(Bytes().u8(2).u32(0xFFFFFFFF)) << def;
        QTest::newRow("consume consumer id ffffffff")
            << QByteArray(Bytes().u8(2).str("t").u32(0).u32(0).u32(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("create topic ffffffff") << QByteArray(Bytes().u8(3).u32(0xFFFFFFFF)) << def;
        QTest::newRow("create consumer id ffffffff")
            << QByteArray(Bytes().u8(3).str("t").u32(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("quit consumer id ffffffff")
            << QByteArray(Bytes().u8(4).u32(0xFFFFFFFF)) << def;
        QTest::newRow("list topics consumer id ffffffff")
            << QByteArray(Bytes().u8(5).u32(0xFFFFFFFF)) << def;
        QTest::newRow("list consumers consumer id ffffffff")
            << QByteArray(Bytes().u8(6).u32(0xFFFFFFFF)) << def;
        QTest::newRow("set options consumer id ffffffff")
            << QByteArray(Bytes().u8(8).u32(1).u32(0xFFFFFFFF)) << def;
        QTest::newRow("delete topic ffffffff") << QByteArray(Bytes().u8(7).u32(0xFFFFFFFF)) << def;
        QTest::newRow("delete consumer id ffffffff")
            << QByteArray(Bytes().u8(7).str("t").u32(0xFFFFFFFF)) << def;
        QTest::newRow("set retention topic ffffffff")
            << QByteArray(Bytes().u8(9).u32(0xFFFFFFFF)) << def;
        QTest::newRow("set retention consumer id ffffffff")
            << QByteArray(Bytes().u8(9).str("t").u64(1).u64(2).u32(0xFFFFFFFF)) << def;

        // maximum 1024
        QTest::newRow("1024: quit of 1025") << QByteArray(Bytes().u8(4).u32(1020)) << 1024ull;
        QTest::newRow("1024: produce count 256")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(256)) << 1024ull;
        QTest::newRow("1024: produce value too long")
            << QByteArray(Bytes().u8(1).str("t").u32(0).u32(2).str("a").u32(1002)) << 1024ull;
        QTest::newRow("1024: topic too long") << QByteArray(Bytes().u8(2).u32(1020)) << 1024ull;
        QTest::newRow("1024: consume of 1025")
            << QByteArray(Bytes().u8(2).str("t").u32(0).u32(0).u32(0).u32(1003)) << 1024ull;
    }
    void oversizedFromHeaderAlone()
    {
        QFETCH(QByteArray, header);
        QFETCH(qulonglong, max);
        RequestParser parser(max);
        QCOMPARE(parser.maxRequestBytes(), std::size_t(max));
        const auto copy = exact(header, usize(header.size()));
        const auto result = parser.parse(copy.data(), copy.size());
        QCOMPARE(result.status, Status::Fatal);
        QVERIFY(!result.error.isEmpty());
        QCOMPARE(result.consumed, std::size_t(0));
        // and every shorter prefix is only Incomplete
        for (qsizetype n = 0; n < header.size(); ++n)
            QCOMPARE(parseFresh(header, usize(n), max).status, Status::Incomplete);
    }

    void requestsAroundASmallMaximum()
    {
        constexpr std::size_t kMax = 1024;
        // Quit: 1 tag + 4 length + id
        for (std::size_t total : {kMax - 1, kMax}) {
            const QByteArray req = Bytes().u8(4).str(QByteArray(qsizetype(total - 5), 'q'));
            QCOMPARE(usize(req.size()), total);
            QCOMPARE(parseFresh(req, 5, kMax).status, Status::Incomplete);
            const Parsed p = parseFresh(req, total, kMax);
            QCOMPARE(p.status, Status::Complete);
            QCOMPARE(p.consumed, total);
        }
        const QByteArray quitOver = Bytes().u8(4).str(QByteArray(1020, 'q'));
        QCOMPARE(quitOver.size(), 1025);
        QCOMPARE(parseFresh(quitOver, 5, kMax).status, Status::Fatal);
        QCOMPARE(parseFresh(quitOver, 1025, kMax).status, Status::Fatal);

        // Produce of two values: 14 header + 2*4 + l1 + l2 + 4 + id
        const auto produce = [](int l1, int l2, int id) {
            return QByteArray(Bytes()
                                  .u8(1)
                                  .str("t")
                                  .u32(0)
                                  .u32(2)
                                  .str(QByteArray(l1, 'a'))
                                  .str(QByteArray(l2, 'b'))
                                  .str(QByteArray(id, 'c')));
        };
        for (const QByteArray &req : {produce(500, 498, 0), produce(500, 497, 0),
                                      produce(500, 497, 1), produce(0, 0, 998)}) {
            QVERIFY(usize(req.size()) <= kMax);
            const Parsed p = parseFresh(req, usize(req.size()), kMax);
            QCOMPARE(p.status, Status::Complete);
            QCOMPARE(p.consumed, usize(req.size()));
            for (std::size_t n = 0; n < usize(req.size()); ++n)
                QCOMPARE(parseFresh(req, n, kMax).status, Status::Incomplete);
        }
        // one byte over, whichever field carries it: refused by the time the maximum's worth
        // of bytes is buffered, never waited for
        for (const QByteArray &req : {produce(500, 499, 0), produce(501, 498, 0),
                                      produce(500, 498, 1), produce(0, 0, 999)}) {
            QCOMPARE(req.size(), qsizetype(kMax + 1));
            QCOMPARE(parseFresh(req, kMax, kMax).status, Status::Fatal);
            QCOMPARE(parseFresh(req, kMax + 1, kMax).status, Status::Fatal);
            RequestParser parser(kMax);
            bool fatal = false;
            for (std::size_t n = 0; n <= kMax + 1 && !fatal; ++n) {
                const auto prefix = exact(req, n);
                const auto result = parser.parse(prefix.data(), prefix.size());
                QVERIFY(result.status != Status::Complete);
                fatal = result.status == Status::Fatal;
                QVERIFY(fatal || n < kMax);
            }
            QVERIFY(fatal);
        }
    }

    // ---- reply encoders (server side) ----

    void encodesEmpty()
    {
        QByteArray out;
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("00"));
    }

    void encodesOffset()
    {
        QByteArray out;
        appendOffset(out, 4);
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("02 00 00 00 04 00"));
        out.clear();
        appendOffset(out, 0xA1B2C3D4);
        QCOMPARE(hex(out), QByteArray("02 a1 b2 c3 d4"));
    }

    void encodesContent()
    {
        QByteArray out("\x09", 1); // appends after what is already there
        appendContent(out, 7, "hi");
        appendContent(out, 0xFFFFFFFF, {});
        appendContent(out, 0x00010203, QByteArray("\0\xff", 2));
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("09 "
                                      "01 00 00 00 07 00 00 00 02 68 69 "
                                      "01 ff ff ff ff 00 00 00 00 "
                                      "01 00 01 02 03 00 00 00 02 00 ff "
                                      "00"));
        QByteArray big;
        appendContent(big, 1, QByteArray(70000, 'z'));
        QCOMPARE(big.size(), 9 + 70000);
        QCOMPARE(hex(big.first(9)), QByteArray("01 00 00 00 01 00 01 11 70"));
        QCOMPARE(big.sliced(9), QByteArray(70000, 'z'));
    }

    void encodesError()
    {
        QByteArray out;
        appendError(out);
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("03 00"));
    }

    void encodesErrorText()
    {
        QByteArray out;
        appendError(out);
        appendErrorText(out, "no");
        appendErrorText(out, {});
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("03 06 00 00 00 02 6e 6f 06 00 00 00 00 00"));
    }

    void encodesTopicPartition()
    {
        QByteArray out;
        appendTopicPartition(out, {"ab", 0x01020304, 0x1112131415161718, 0x2122232425262728,
                                   0x3132333435363738, 0x4142434445464748});
        appendTopicPartition(out, {{}, 0, 0, 0, 0, 0xFFFFFFFFFFFFFFFF});
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("04 00 00 00 02 61 62 01 02 03 04 "
                                      "11 12 13 14 15 16 17 18 "
                                      "21 22 23 24 25 26 27 28 "
                                      "31 32 33 34 35 36 37 38 "
                                      "41 42 43 44 45 46 47 48 "
                                      "04 00 00 00 00 00 00 00 00 "
                                      "00 00 00 00 00 00 00 00 "
                                      "00 00 00 00 00 00 00 00 "
                                      "00 00 00 00 00 00 00 00 "
                                      "ff ff ff ff ff ff ff ff "
                                      "00"));
    }

    void encodesConsumerPosition()
    {
        QByteArray out;
        appendConsumerPosition(out, {"c", "tp", 0x0A0B0C0D, 0x1112131415161718, 0x2122232425262728,
                                     0x3132333435363738, 0x4142434445464748});
        appendEmpty(out);
        QCOMPARE(hex(out), QByteArray("05 00 00 00 01 63 00 00 00 02 74 70 0a 0b 0c 0d "
                                      "11 12 13 14 15 16 17 18 "
                                      "21 22 23 24 25 26 27 28 "
                                      "31 32 33 34 35 36 37 38 "
                                      "41 42 43 44 45 46 47 48 "
                                      "00"));
    }

    // ---- request encoders (client side) ----

    void encodesRequests()
    {
        QCOMPARE(hex(encodeProduce("t", 5, {"a", "bc"}, "me")),
                 QByteArray("01 00 00 00 01 74 00 00 00 05 00 00 00 02 "
                            "00 00 00 01 61 00 00 00 02 62 63 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeProduce("t", 0x01020304, {QByteArray()})),
                 QByteArray("01 00 00 00 01 74 01 02 03 04 00 00 00 01 00 00 00 00 00 00 00 00"));
        QCOMPARE(hex(encodeProduce("", 0, {})),
                 QByteArray("01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"));
        QCOMPARE(hex(encodeConsume("ab", 1, 0x0A0B0C0D, 0xFFFFFFFF, "c")),
                 QByteArray("02 00 00 00 02 61 62 00 00 00 01 0a 0b 0c 0d ff ff ff ff "
                            "00 00 00 01 63"));
        QCOMPARE(hex(encodeConsume("ab", 1, 2, 3)),
                 QByteArray("02 00 00 00 02 61 62 00 00 00 01 00 00 00 02 00 00 00 03 "
                            "00 00 00 00"));
        QCOMPARE(hex(encodeCreateTopic("xyz", 16, "adm")),
                 QByteArray("03 00 00 00 03 78 79 7a 00 00 00 10 00 00 00 03 61 64 6d"));
        QCOMPARE(hex(encodeCreateTopic("x", 1)), QByteArray("03 00 00 00 01 78 00 00 00 01 "
                                                            "00 00 00 00"));
        QCOMPARE(hex(encodeQuit("me")), QByteArray("04 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeQuit()), QByteArray("04 00 00 00 00"));
        QCOMPARE(hex(encodeListTopics("u")), QByteArray("05 00 00 00 01 75"));
        QCOMPARE(hex(encodeListTopics()), QByteArray("05 00 00 00 00"));
        QCOMPARE(hex(encodeListConsumers("u")), QByteArray("06 00 00 00 01 75"));
        QCOMPARE(hex(encodeListConsumers()), QByteArray("06 00 00 00 00"));
        QCOMPARE(hex(encodeSetOptions(kOptionErrorText, "me")),
                 QByteArray("08 00 00 00 01 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeSetOptions(0xDEADBEEF)), QByteArray("08 de ad be ef 00 00 00 00"));
        QCOMPARE(hex(encodeDeleteTopic("xy", "me")),
                 QByteArray("07 00 00 00 02 78 79 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeDeleteTopic("xy")), QByteArray("07 00 00 00 02 78 79 00 00 00 00"));
        QCOMPARE(hex(encodeSetRetention("t", -1, 0x0102030405060708, "me")),
                 QByteArray("09 00 00 00 01 74 ff ff ff ff ff ff ff ff "
                            "01 02 03 04 05 06 07 08 00 00 00 02 6d 65"));
        QCOMPARE(hex(encodeSetRetention("t", 1000, -1)),
                 QByteArray("09 00 00 00 01 74 00 00 00 00 00 00 03 e8 "
                            "ff ff ff ff ff ff ff ff 00 00 00 00"));
    }

    void encodedRequestsParse()
    {
        const QList<QByteArray> values{"one", QByteArray(), QByteArray(1000, '\0')};
        const QByteArray produce = encodeProduce("topic", 2, values, "id");
        const Parsed p = parseFresh(produce, usize(produce.size()));
        QCOMPARE(p.status, Status::Complete);
        QCOMPARE(p.action, int(Action::Produce));
        QCOMPARE(p.topic, QByteArray("topic"));
        QCOMPARE(p.partition, 2u);
        QCOMPARE(p.count, 3u);
        QCOMPARE(p.values, values);
        QCOMPARE(p.consumerId, QByteArray("id"));

        const QByteArray consume = encodeConsume("topic", 1, 2, 3, "id");
        const Parsed c = parseFresh(consume, usize(consume.size()));
        QCOMPARE(c.action, int(Action::Consume));
        QCOMPARE(c.offset, 2u);
        QCOMPARE(c.limit, 3u);
        QCOMPARE(c.consumed, usize(consume.size()));

        const QByteArray options = encodeSetOptions(kOptionErrorText);
        const Parsed o = parseFresh(options, usize(options.size()));
        QCOMPARE(o.action, int(Action::SetOptions));
        QCOMPARE(o.options, kOptionErrorText);

        const QByteArray retention = encodeSetRetention("topic", 86400000, -1, "id");
        const Parsed t = parseFresh(retention, usize(retention.size()));
        QCOMPARE(t.action, int(Action::SetRetention));
        QCOMPARE(t.topic, QByteArray("topic"));
        QCOMPARE(t.retentionMs, qint64(86400000));
        QCOMPARE(t.retentionBytes, qint64(-1));
        QCOMPARE(t.consumed, usize(retention.size()));
    }

    // ---- ReplyParser (client side) ----

    void parsesReplies()
    {
        const auto parse = [](const QByteArray &bytes, Reply &reply) {
            ReplyParser parser;
            std::size_t consumed = 0;
            const auto copy = exact(bytes, usize(bytes.size()));
            const RStatus s = parser.parse(copy.data(), copy.size(), reply, consumed);
            return s == RStatus::Complete && consumed == usize(bytes.size());
        };

        Reply r;
        QVERIFY(parse(Bytes().u8(0), r));
        QVERIFY(r.contents.isEmpty() && r.offsets.isEmpty() && r.topicPartitions.isEmpty() &&
                r.consumerPositions.isEmpty() && !r.error && r.errorText.isEmpty());

        QVERIFY(parse(Bytes()
                          .u8(1)
                          .u32(7)
                          .str("hi")
                          .u8(1)
                          .u32(0xFFFFFFFF)
                          .str(QByteArray("\0", 1))
                          .u8(1)
                          .u32(9)
                          .str("")
                          .u8(0),
                      r));
        QCOMPARE(r.contents.size(), 3);
        QCOMPARE(r.contents[0].offset, 7u);
        QCOMPARE(r.contents[0].value, QByteArray("hi"));
        QCOMPARE(r.contents[1].offset, 0xFFFFFFFFu);
        QCOMPARE(r.contents[1].value, QByteArray("\0", 1));
        QCOMPARE(r.contents[2].offset, 9u);
        QVERIFY(r.contents[2].value.isEmpty());
        QVERIFY(!r.error);

        QVERIFY(parse(QByteArray::fromHex("02 00 00 00 04 00"), r));
        QCOMPARE(r.offsets, QList<std::uint32_t>{4});
        QVERIFY(r.contents.isEmpty()); // a new parse starts a new reply

        QVERIFY(parse(Bytes().u8(3).u8(0), r));
        QVERIFY(r.error);
        QVERIFY(r.errorText.isEmpty());

        QVERIFY(parse(Bytes().u8(3).u8(6).str("unknown topic \xc3\xa9").u8(0), r));
        QVERIFY(r.error);
        QCOMPARE(r.errorText, QStringLiteral("unknown topic \u00e9"));

        QVERIFY(parse(Bytes()
                          .u8(4)
                          .str("orders")
                          .u32(1)
                          .u64(0x0102030405060708)
                          .u64(0xFFFFFFFFFFFFFFFF)
                          .u64(4096)
                          .u64(1700000000000)
                          .u8(4)
                          .str("x")
                          .u32(0)
                          .u64(0)
                          .u64(0)
                          .u64(0)
                          .u64(0)
                          .u8(0),
                      r));
        QCOMPARE(r.topicPartitions.size(), 2);
        const TopicPartitionInfo &tp = r.topicPartitions[0];
        QCOMPARE(tp.topic, QByteArray("orders"));
        QCOMPARE(tp.partition, 1u);
        QCOMPARE(tp.startOffset, quint64(0x0102030405060708));
        QCOMPARE(tp.endOffset, quint64(0xFFFFFFFFFFFFFFFF));
        QCOMPARE(tp.sizeBytes, quint64(4096));
        QCOMPARE(tp.lastAppendMs, quint64(1700000000000));
        QCOMPARE(r.topicPartitions[1].topic, QByteArray("x"));

        QVERIFY(parse(Bytes()
                          .u8(5)
                          .str("c1")
                          .str("orders")
                          .u32(2)
                          .u64(5)
                          .u64(0x0102030405060708)
                          .u64(3)
                          .u64(1700000000001)
                          .u8(0),
                      r));
        QCOMPARE(r.consumerPositions.size(), 1);
        const ConsumerPositionInfo &cp = r.consumerPositions[0];
        QCOMPARE(cp.consumer, QByteArray("c1"));
        QCOMPARE(cp.topic, QByteArray("orders"));
        QCOMPARE(cp.partition, 2u);
        QCOMPARE(cp.nextOffset, quint64(5));
        QCOMPARE(cp.endOffset, quint64(0x0102030405060708));
        QCOMPARE(cp.delivered, quint64(3));
        QCOMPARE(cp.lastSeenMs, quint64(1700000000001));
    }

    void replyEncodersAndParserAgree()
    {
        QByteArray out;
        appendContent(out, 3, "v3");
        appendOffset(out, 11);
        appendTopicPartition(out, {"t", 1, 2, 3, 4, 5});
        appendConsumerPosition(out, {"c", "t", 1, 2, 3, 4, 5});
        appendError(out);
        appendErrorText(out, "why");
        appendEmpty(out);
        ReplyParser parser;
        Reply r;
        std::size_t consumed = 0;
        QCOMPARE(parser.parse(out.constData(), usize(out.size()), r, consumed), RStatus::Complete);
        QCOMPARE(consumed, usize(out.size()));
        QCOMPARE(r.contents.size(), 1);
        QCOMPARE(r.contents[0].value, QByteArray("v3"));
        QCOMPARE(r.offsets, QList<std::uint32_t>{11});
        QCOMPARE(r.topicPartitions.size(), 1);
        QCOMPARE(r.topicPartitions[0].lastAppendMs, quint64(5));
        QCOMPARE(r.consumerPositions.size(), 1);
        QCOMPARE(r.consumerPositions[0].lastSeenMs, quint64(5));
        QVERIFY(r.error);
        QCOMPARE(r.errorText, QStringLiteral("why"));
    }

    void replySplitAtEveryByte_data()
    {
        QTest::addColumn<QByteArray>("reply");
        for (const auto &[name, reply] : validReplies())
            QTest::newRow(name.constData()) << reply;
    }
    void replySplitAtEveryByte()
    {
        QFETCH(QByteArray, reply);
        ReplyParser parser;
        for (qsizetype n = 0; n < reply.size(); ++n) {
            Reply r;
            std::size_t consumed = 12345;
            const auto prefix = exact(reply, usize(n));
            QVERIFY2(parser.parse(prefix.data(), prefix.size(), r, consumed) == RStatus::Incomplete,
                     qPrintable(QString::number(n)));
            QCOMPARE(consumed, std::size_t(12345)); // untouched unless Complete
        }
        Reply r;
        std::size_t consumed = 0;
        const auto all = exact(reply, usize(reply.size()));
        QCOMPARE(parser.parse(all.data(), all.size(), r, consumed), RStatus::Complete);
        QCOMPARE(consumed, usize(reply.size()));
    }

    void repliesBackToBack()
    {
        const QByteArray first = Bytes().u8(2).u32(4).u8(0);
        const QByteArray second = Bytes().u8(1).u32(4).str("four").u8(0);
        const QByteArray third = Bytes().u8(3).u8(0);
        const QByteArray stream = first + second + third;
        ReplyParser parser;
        Reply r;
        std::size_t consumed = 0;
        std::size_t pos = 0;
        QCOMPARE(parser.parse(stream.constData(), usize(stream.size()), r, consumed),
                 RStatus::Complete);
        QCOMPARE(consumed, usize(first.size()));
        QCOMPARE(r.offsets, QList<std::uint32_t>{4});
        QVERIFY(r.contents.isEmpty());
        pos += consumed;
        QCOMPARE(parser.parse(stream.constData() + pos, usize(stream.size()) - pos, r, consumed),
                 RStatus::Complete);
        QCOMPARE(consumed, usize(second.size()));
        QVERIFY(r.offsets.isEmpty());
        QCOMPARE(r.contents.size(), 1);
        QCOMPARE(r.contents[0].value, QByteArray("four"));
        pos += consumed;
        QCOMPARE(parser.parse(stream.constData() + pos, usize(stream.size()) - pos, r, consumed),
                 RStatus::Complete);
        QCOMPARE(consumed, usize(third.size()));
        QVERIFY(r.error);
        pos += consumed;
        QCOMPARE(pos, usize(stream.size()));
        QCOMPARE(parser.parse(stream.constData() + pos, 0, r, consumed), RStatus::Incomplete);
    }

    void unknownReplyTagIsMalformed_data()
    {
        QTest::addColumn<QByteArray>("reply");
        QTest::newRow("7") << QByteArray("\x07", 1);
        QTest::newRow("0x63") << QByteArray("\x63\x00", 2);
        QTest::newRow("0xff") << QByteArray("\xff", 1);
        QTest::newRow("after records")
            << QByteArray(Bytes().u8(2).u32(1).u8(1).u32(1).str("v").u8(9).u8(0));
    }
    void unknownReplyTagIsMalformed()
    {
        QFETCH(QByteArray, reply);
        ReplyParser parser;
        Reply r;
        std::size_t consumed = 0;
        const auto copy = exact(reply, usize(reply.size()));
        QCOMPARE(parser.parse(copy.data(), copy.size(), r, consumed), RStatus::Malformed);
        QVERIFY(!parser.error().isEmpty());
    }

    void absurdReplyLengthIsMalformed_data()
    {
        QTest::addColumn<QByteArray>("reply");
        QTest::addColumn<qulonglong>("maxString");
        const qulonglong def = 256u << 20;
        QTest::newRow("content ffffffff")
            << QByteArray(Bytes().u8(1).u32(0).u32(0xFFFFFFFF)) << def;
        QTest::newRow("content max+1")
            << QByteArray(Bytes().u8(1).u32(0).u32(quint32(def) + 1)) << def;
        QTest::newRow("error text ffffffff")
            << QByteArray(Bytes().u8(3).u8(6).u32(0xFFFFFFFF)) << def;
        QTest::newRow("topic partition ffffffff")
            << QByteArray(Bytes().u8(4).u32(0xFFFFFFFF)) << def;
        QTest::newRow("consumer position consumer ffffffff")
            << QByteArray(Bytes().u8(5).u32(0xFFFFFFFF)) << def;
        QTest::newRow("consumer position topic ffffffff")
            << QByteArray(Bytes().u8(5).str("c").u32(0xFFFFFFFF)) << def;
        QTest::newRow("small max: content 17") << QByteArray(Bytes().u8(1).u32(0).u32(17)) << 16ull;
        QTest::newRow("small max: after a good record")
            << QByteArray(Bytes().u8(1).u32(0).str(QByteArray(16, 'x')).u8(6).u32(17)) << 16ull;
    }
    void absurdReplyLengthIsMalformed()
    {
        QFETCH(QByteArray, reply);
        QFETCH(qulonglong, maxString);
        ReplyParser parser(maxString);
        Reply r;
        std::size_t consumed = 0;
        const auto copy = exact(reply, usize(reply.size()));
        QCOMPARE(parser.parse(copy.data(), copy.size(), r, consumed), RStatus::Malformed);
        QVERIFY(!parser.error().isEmpty());
    }

    void replyStringAtItsMaximum()
    {
        const QByteArray reply = Bytes().u8(1).u32(0).str(QByteArray(16, 'x')).u8(0);
        ReplyParser parser(16);
        Reply r;
        std::size_t consumed = 0;
        QCOMPARE(parser.parse(reply.constData(), 9, r, consumed), RStatus::Incomplete);
        QCOMPARE(parser.parse(reply.constData(), usize(reply.size()), r, consumed),
                 RStatus::Complete);
        QCOMPARE(r.contents[0].value, QByteArray(16, 'x'));
    }

    // ---- fuzzing: never crash, never read out of bounds, keep the invariants ----

    void fuzzRequestParser()
    {
        QRandomGenerator rng(20240607);
        const auto requests = validRequests();
        static const std::size_t maxima[] = {kDefaultMaxRequestBytes, 1024, 64, 16, 5};
        QString why;
        QHash<Status, int> seen;
        for (int i = 0; i < 40000; ++i) {
            QByteArray bytes;
            if (i < 20000) {
                bytes = randomBytes(rng, 200);
            } else {
                const int n = 1 + int(rng.bounded(3));
                for (int k = 0; k < n; ++k)
                    bytes += requests[rng.bounded(quint32(requests.size()))].second;
                bytes = mutate(bytes, rng);
            }
            const std::size_t max = maxima[rng.bounded(quint32(std::size(maxima)))];
            Status status = Status::Incomplete;
            const bool ok = checkRequestInvariants(bytes, max, why, status);
            ++seen[status];
            if (!ok)
                QFAIL(qPrintable(QStringLiteral("%1 (max %2): %3")
                                     .arg(QString::fromLatin1(bytes.toHex()))
                                     .arg(max)
                                     .arg(why)));

            // arriving in random pieces, a session must see what one whole read would give
            QList<std::size_t> chunks;
            for (int k = 0; k < 64; ++k)
                chunks << 1 + rng.bounded(rng.bounded(2) ? 4 : 40);
            const QList<Parsed> session = runSession(bytes, chunks, max);
            const QList<Parsed> reference = runReference(bytes, max);
            if (session != reference)
                QFAIL(qPrintable(QStringLiteral("session differs from one read: %1 (max %2)")
                                     .arg(QString::fromLatin1(bytes.toHex()))
                                     .arg(max)));
        }
        // the generator must reach every outcome often, or the loop proves little
        qInfo("request outcomes: %d complete, %d incomplete, %d fatal", seen[Status::Complete],
              seen[Status::Incomplete], seen[Status::Fatal]);
        QVERIFY(seen[Status::Complete] > 2000);
        QVERIFY(seen[Status::Incomplete] > 2000);
        QVERIFY(seen[Status::Fatal] > 2000);
    }

    void fuzzReplyParser()
    {
        QRandomGenerator rng(7140);
        const auto replies = validReplies();
        static const std::size_t maxima[] = {256u << 20, 64, 3};
        QString why;
        QHash<RStatus, int> seen;
        for (int i = 0; i < 40000; ++i) {
            QByteArray bytes;
            if (i < 20000) {
                bytes = randomReply(rng, 200);
            } else {
                const int n = 1 + int(rng.bounded(3));
                for (int k = 0; k < n; ++k)
                    bytes += replies[rng.bounded(quint32(replies.size()))].second;
                bytes = mutate(bytes, rng);
            }
            const std::size_t max = maxima[rng.bounded(quint32(std::size(maxima)))];
            RStatus status = RStatus::Incomplete;
            const bool ok = checkReplyInvariants(bytes, max, why, status);
            ++seen[status];
            if (!ok)
                QFAIL(qPrintable(QStringLiteral("%1 (max %2): %3")
                                     .arg(QString::fromLatin1(bytes.toHex()))
                                     .arg(max)
                                     .arg(why)));
        }
        qInfo("reply outcomes: %d complete, %d incomplete, %d malformed", seen[RStatus::Complete],
              seen[RStatus::Incomplete], seen[RStatus::Malformed]);
        QVERIFY(seen[RStatus::Complete] > 2000);
        QVERIFY(seen[RStatus::Incomplete] > 2000);
        QVERIFY(seen[RStatus::Malformed] > 2000);
    }
};

QTEST_GUILESS_MAIN(TestNativeCodec)
#include "tst_nativecodec.moc"
