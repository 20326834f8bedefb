#include "wire.h"

#include "log/bytes.h"

#include <cstring>

namespace rivulet::kafka {

bool Reader::take(std::int64_t n)
{
    if (m_failed || n < 0 || n > m_end - m_p) {
        m_failed = true;
        return false;
    }
    return true;
}

std::int8_t Reader::i8()
{
    if (!take(1))
        return 0;
    return static_cast<std::int8_t>(*m_p++);
}

std::int16_t Reader::i16()
{
    if (!take(2))
        return 0;
    const auto v = be::readI16(m_p);
    m_p += 2;
    return v;
}

std::int32_t Reader::i32()
{
    if (!take(4))
        return 0;
    const auto v = be::readI32(m_p);
    m_p += 4;
    return v;
}

std::int64_t Reader::i64()
{
    if (!take(8))
        return 0;
    const auto v = be::readI64(m_p);
    m_p += 8;
    return v;
}

QByteArray Reader::string()
{
    return nullableString().value_or(QByteArray());
}

std::optional<QByteArray> Reader::nullableString()
{
    const std::int16_t length = i16();
    if (!ok() || length == -1)
        return std::nullopt;
    if (!take(length))
        return std::nullopt;
    QByteArray s(m_p, length);
    m_p += length;
    return s;
}

QByteArrayView Reader::bytes()
{
    const std::int32_t length = i32();
    if (!ok() || length == -1)
        return {};
    if (!take(length))
        return {};
    QByteArrayView v(m_p, length);
    m_p += length;
    return v;
}

std::int32_t Reader::arrayCount(int minElementBytes)
{
    const std::int32_t count = i32();
    if (!ok())
        return 0;
    if (count == -1)
        return 0; // null array: nothing in it
    if (count < 0 || std::int64_t(count) * std::max(1, minElementBytes) > remaining()) {
        m_failed = true;
        return 0;
    }
    return count;
}

std::int64_t Reader::unsignedVarint()
{
    std::uint64_t value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (!take(1))
            return 0;
        const auto byte = static_cast<unsigned char>(*m_p++);
        value |= std::uint64_t(byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return std::int64_t(value);
    }
    m_failed = true;
    return 0;
}

double Reader::f64()
{
    const std::int64_t bits = i64();
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

QUuid Reader::uuid()
{
    if (!take(16))
        return {};
    const QUuid id = QUuid::fromRfc4122(QByteArrayView(m_p, 16));
    m_p += 16;
    return id;
}

std::optional<QByteArray> Reader::nullableString(bool flex)
{
    if (!flex)
        return nullableString();
    const std::int64_t n = unsignedVarint();
    if (!ok() || n == 0)
        return std::nullopt;
    if (!take(n - 1))
        return std::nullopt;
    QByteArray s(m_p, n - 1);
    m_p += n - 1;
    return s;
}

std::optional<QByteArray> Reader::nullableBytes(bool flex)
{
    if (flex)
        return nullableString(true);
    const std::int32_t length = i32();
    if (!ok() || length == -1 || !take(length))
        return std::nullopt;
    QByteArray b(m_p, length);
    m_p += length;
    return b;
}

QByteArrayView Reader::bytesView(bool flex)
{
    if (!flex)
        return bytes();
    const std::int64_t n = unsignedVarint();
    if (!ok() || n == 0 || !take(n - 1))
        return {};
    QByteArrayView v(m_p, n - 1);
    m_p += n - 1;
    return v;
}

std::int32_t Reader::arrayLength(bool flex, int minElementBytes)
{
    std::int64_t count = flex ? unsignedVarint() - 1 : i32();
    if (!ok())
        return 0;
    if (count == -1)
        return -1;
    if (count < 0 || count * std::max(1, minElementBytes) > remaining()) {
        m_failed = true;
        return 0;
    }
    return std::int32_t(count);
}

Reader Reader::sub(std::int64_t n)
{
    if (!take(n)) {
        Reader failed{QByteArrayView()};
        failed.fail();
        return failed;
    }
    Reader r(QByteArrayView(m_p, n));
    m_p += n;
    return r;
}

void Reader::skip(std::int64_t n)
{
    if (take(n))
        m_p += n;
}

Writer &Writer::i8(std::int8_t v)
{
    m_out.append(char(v));
    return *this;
}

Writer &Writer::i16(std::int16_t v)
{
    char b[2];
    be::writeU16(b, std::uint16_t(v));
    m_out.append(b, 2);
    return *this;
}

Writer &Writer::i32(std::int32_t v)
{
    char b[4];
    be::writeU32(b, std::uint32_t(v));
    m_out.append(b, 4);
    return *this;
}

Writer &Writer::i64(std::int64_t v)
{
    char b[8];
    be::writeU64(b, std::uint64_t(v));
    m_out.append(b, 8);
    return *this;
}

Writer &Writer::string(QByteArrayView s)
{
    i16(std::int16_t(s.size()));
    m_out.append(s.data(), s.size());
    return *this;
}

Writer &Writer::nullableString(const std::optional<QByteArray> &s)
{
    if (!s)
        return i16(-1);
    return string(*s);
}

Writer &Writer::bytes(QByteArrayView b)
{
    i32(std::int32_t(b.size()));
    m_out.append(b.data(), b.size());
    return *this;
}

Writer &Writer::f64(double v)
{
    std::int64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    return i64(bits);
}

Writer &Writer::uuid(const QUuid &id)
{
    m_out.append(id.toRfc4122());
    return *this;
}

Writer &Writer::unsignedVarint(std::uint32_t v)
{
    while (v >= 0x80) {
        m_out.append(char((v & 0x7F) | 0x80));
        v >>= 7;
    }
    m_out.append(char(v));
    return *this;
}

Writer &Writer::raw(QByteArrayView b)
{
    m_out.append(b.data(), b.size());
    return *this;
}

Writer &Writer::string(bool flex, QByteArrayView s)
{
    if (!flex)
        return string(s);
    unsignedVarint(std::uint32_t(s.size()) + 1);
    return raw(s);
}

Writer &Writer::nullableString(bool flex, const std::optional<QByteArray> &s)
{
    if (!flex)
        return nullableString(s);
    if (!s)
        return unsignedVarint(0);
    return string(true, *s);
}

Writer &Writer::bytes(bool flex, QByteArrayView b)
{
    if (!flex)
        return bytes(b);
    return string(true, b);
}

Writer &Writer::nullableBytes(bool flex, const std::optional<QByteArray> &b)
{
    if (flex)
        return nullableString(true, b);
    if (!b)
        return i32(-1);
    return bytes(*b);
}

Writer &Writer::arrayLength(bool flex, std::int32_t count)
{
    return flex ? unsignedVarint(std::uint32_t(count) + 1) : i32(count);
}

Writer &Writer::nullArray(bool flex)
{
    return flex ? unsignedVarint(0) : i32(-1);
}

qsizetype Writer::reserveI32()
{
    const qsizetype at = m_out.size();
    i32(0);
    return at;
}

void Writer::patchI32(qsizetype position, std::int32_t v)
{
    be::writeU32(m_out.data() + position, std::uint32_t(v));
}

} // namespace rivulet::kafka
