// Helpers for tests that check the Kafka codec against byte sequences written by hand.
#pragma once

#include "kafka/wire.h"

#include <QByteArray>

#include <cstdint>

namespace {

// A hand-made byte sequence, big-endian, with the flexible encoding's varints.
class Bytes
{
public:
    Bytes &i8(int v) { return raw(QByteArray(1, char(v))); }
    Bytes &i16(int v) { return be(std::uint64_t(std::uint16_t(v)), 2); }
    Bytes &i32(std::int32_t v) { return be(std::uint32_t(v), 4); }
    Bytes &i64(std::int64_t v) { return be(std::uint64_t(v), 8); }
    Bytes &uvarint(std::uint32_t v)
    {
        while (v >= 0x80) {
            m_b.append(char((v & 0x7F) | 0x80));
            v >>= 7;
        }
        m_b.append(char(v));
        return *this;
    }
    Bytes &compact(const QByteArray &s) { return uvarint(std::uint32_t(s.size()) + 1).raw(s); }
    Bytes &classic(const QByteArray &s) { return i16(int(s.size())).raw(s); }
    Bytes &raw(const QByteArray &b)
    {
        m_b.append(b);
        return *this;
    }
    QByteArray data() const { return m_b; }

private:
    Bytes &be(std::uint64_t v, int n)
    {
        for (int i = n - 1; i >= 0; --i)
            m_b.append(char((v >> (8 * i)) & 0xFF));
        return *this;
    }
    QByteArray m_b;
};

template <class M> M decoded(const QByteArray &bytes, std::int16_t v, bool &ok)
{
    rivulet::kafka::Reader r(bytes);
    M m;
    m.read(r, v);
    ok = r.ok() && r.remaining() == 0;
    return m;
}

template <class M> QByteArray encoded(const M &m, std::int16_t v)
{
    QByteArray out;
    rivulet::kafka::Writer w(out);
    m.write(w, v);
    return out;
}

} // namespace
