#pragma once

// Native (seed) protocol bytes written out by hand from docs/PROTOCOL.md, field by field, so
// that the codec and the broker are checked against the byte layout and not only against their
// own encoders: a builder, the reply records the broker sends, and valid samples of every
// request and reply. Header-only; include it from tests/tst_*.cpp.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QtEndian>

namespace rivulet::testsupport {

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

inline QByteArray hex(const QByteArray &bytes)
{
    return bytes.toHex(' ');
}

// Reply bytes as docs/PROTOCOL.md §4 lays them out.
inline QByteArray be32(quint32 v)
{
    QByteArray bytes(4, '\0');
    qToBigEndian(v, bytes.data());
    return bytes;
}
inline const QByteArray kEmpty(1, '\0');
inline const QByteArray kError("\x03\x00", 2);
inline const QByteArray kUnknownAction("\xc8", 1);
inline QByteArray offsetRecord(quint32 offset)
{
    return QByteArray(1, '\x02') + be32(offset);
}
inline QByteArray contentRecord(quint32 offset, const QByteArray &value)
{
    return QByteArray(1, '\x01') + be32(offset) + be32(quint32(value.size())) + value;
}

// Hand-built, valid requests of every action, each with something unusual in it.
inline QList<QPair<QByteArray, QByteArray>> validRequests()
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
inline QList<QPair<QByteArray, QByteArray>> validReplies()
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

} // namespace rivulet::testsupport
