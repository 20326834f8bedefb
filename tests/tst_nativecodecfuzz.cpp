// The native protocol's parsers, both sides, under random and mutated input: never crash,
// never read out of bounds, and keep their invariants.
#include "native/clientcodec.h"
#include "native/requestparser.h"
#include "support/nativebytes.h"
#include "support/nativeparsing.h"

#include <QHash>
#include <QRandomGenerator>
#include <QTest>

#include <iterator>
#include <vector>

using namespace rivulet::native;
using namespace rivulet::testsupport;

namespace {

bool inside(QByteArrayView view, const char *begin, std::size_t size)
{
    if (view.isEmpty())
        return true;
    const auto b = reinterpret_cast<std::uintptr_t>(begin);
    const auto v = reinterpret_cast<std::uintptr_t>(view.data());
    return v >= b && v + std::size_t(view.size()) <= b + size;
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

class TestNativeCodecFuzz : public QObject
{
    Q_OBJECT
private Q_SLOTS:
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

QTEST_GUILESS_MAIN(TestNativeCodecFuzz)
#include "tst_nativecodecfuzz.moc"
