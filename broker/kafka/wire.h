#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QUuid>

#include <cstdint>
#include <optional>

// Kafka's encodings. Classic: big-endian integers, strings with an int16 length, bytes with an
// int32 length, arrays with an int32 count; -1 lengths are null. Flexible (KIP-482, the
// overloads taking `flex`): lengths and counts as unsigned varints of N+1, 0 being null.
namespace rivulet::kafka {

// Bounds-checked reads over one request. The first failure sticks: later reads return
// zero values and ok() stays false, so a handler can read a whole request and check once.
class Reader
{
public:
    explicit Reader(QByteArrayView bytes) : m_p(bytes.data()), m_end(bytes.data() + bytes.size()) {}

    std::int8_t i8();
    bool boolean() { return i8() != 0; }
    std::int16_t i16();
    std::int32_t i32();
    std::int64_t i64();
    QByteArray string(); // a null string reads as empty
    std::optional<QByteArray> nullableString();
    QByteArrayView bytes(); // a view into the request; null reads as empty
    // An array count, checked against what is left (each element needs at least
    // minElementBytes), so a hostile count cannot make the handler loop or allocate.
    std::int32_t arrayCount(int minElementBytes);
    std::int64_t unsignedVarint();
    double f64();
    QUuid uuid();
    // Classic or compact (flex), as the message version says.
    std::optional<QByteArray> nullableString(bool flex);
    std::optional<QByteArray> nullableBytes(bool flex);
    QByteArrayView bytesView(bool flex); // a view into the request; null reads as empty
    // An array count (-1: null), bounded by what is left as arrayCount() is.
    std::int32_t arrayLength(bool flex, int minElementBytes);
    // The next n bytes as a reader of their own (a tagged field's value); this one moves on.
    Reader sub(std::int64_t n);
    void skip(std::int64_t n);
    void fail() { m_failed = true; }

    bool ok() const { return !m_failed; }
    std::int64_t remaining() const { return m_end - m_p; }
    const char *position() const { return m_p; }

private:
    bool take(std::int64_t n);

    const char *m_p;
    const char *m_end;
    bool m_failed = false;
};

class Writer
{
public:
    explicit Writer(QByteArray &out) : m_out(out) {}
    Writer &i8(std::int8_t v);
    Writer &boolean(bool v) { return i8(v ? 1 : 0); }
    Writer &i16(std::int16_t v);
    Writer &i32(std::int32_t v);
    Writer &i64(std::int64_t v);
    Writer &string(QByteArrayView s);
    Writer &text(const QString &s) { return string(QByteArrayView(s.toUtf8())); }
    Writer &nullableString(const std::optional<QByteArray> &s);
    Writer &bytes(QByteArrayView b);
    Writer &array(std::int32_t count) { return i32(count); }
    Writer &f64(double v);
    Writer &uuid(const QUuid &id);
    Writer &unsignedVarint(std::uint32_t v);
    Writer &raw(QByteArrayView b);
    // Classic or compact (flex), as the message version says.
    Writer &string(bool flex, QByteArrayView s);
    Writer &nullableString(bool flex, const std::optional<QByteArray> &s);
    Writer &bytes(bool flex, QByteArrayView b);
    Writer &nullableBytes(bool flex, const std::optional<QByteArray> &b);
    Writer &arrayLength(bool flex, std::int32_t count);
    Writer &nullArray(bool flex);
    // Reserves an int32 to fill in later (e.g. a size): returns its position.
    qsizetype reserveI32();
    void patchI32(qsizetype position, std::int32_t v);
    qsizetype size() const { return m_out.size(); }

private:
    QByteArray &m_out;
};

} // namespace rivulet::kafka
