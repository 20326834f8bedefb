#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>
#include <optional>

// Kafka's classic (non-flexible) encoding: big-endian integers, strings with an int16
// length, bytes with an int32 length, arrays with an int32 count; -1 lengths are null.
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
    // Reserves an int32 to fill in later (e.g. a size): returns its position.
    qsizetype reserveI32();
    void patchI32(qsizetype position, std::int32_t v);
    qsizetype size() const { return m_out.size(); }

private:
    QByteArray &m_out;
};

} // namespace rivulet::kafka
