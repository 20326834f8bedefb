#include "protocol.h"

#include "log/bytes.h"

#include <cstring>

namespace rivulet::native {

char *Writer::grow(qsizetype n)
{
    const qsizetype old = m_out.size();
    m_out.resize(old + n);
    return m_out.data() + old;
}

Writer &Writer::u8(std::uint8_t v)
{
    m_out.append(char(v));
    return *this;
}

Writer &Writer::u32(std::uint32_t v)
{
    be::writeU32(grow(4), v);
    return *this;
}

Writer &Writer::u64(std::uint64_t v)
{
    be::writeU64(grow(8), v);
    return *this;
}

Writer &Writer::str(QByteArrayView bytes)
{
    char *p = grow(4 + bytes.size());
    be::writeU32(p, std::uint32_t(bytes.size()));
    if (!bytes.isEmpty())
        std::memcpy(p + 4, bytes.data(), std::size_t(bytes.size()));
    return *this;
}

} // namespace rivulet::native
