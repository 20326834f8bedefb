#pragma once

#include <cstdint>
#include <cstring>

// Big-endian integer reads and writes on raw bytes, as both wire protocols and the
// RecordBatch layout use them. Callers check bounds first.
namespace rivulet::be {

inline std::uint16_t readU16(const char *p)
{
    const auto *u = reinterpret_cast<const unsigned char *>(p);
    return static_cast<std::uint16_t>((u[0] << 8) | u[1]);
}

inline std::uint32_t readU32(const char *p)
{
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

inline std::uint64_t readU64(const char *p)
{
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

inline std::int16_t readI16(const char *p)
{
    return static_cast<std::int16_t>(readU16(p));
}
inline std::int32_t readI32(const char *p)
{
    return static_cast<std::int32_t>(readU32(p));
}
inline std::int64_t readI64(const char *p)
{
    return static_cast<std::int64_t>(readU64(p));
}

inline void writeU16(char *p, std::uint16_t v)
{
    p[0] = static_cast<char>(v >> 8);
    p[1] = static_cast<char>(v);
}

inline void writeU32(char *p, std::uint32_t v)
{
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}

inline void writeU64(char *p, std::uint64_t v)
{
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

} // namespace rivulet::be
