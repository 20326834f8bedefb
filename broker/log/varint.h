#pragma once

#include <cstddef>
#include <cstdint>

// Zig-zag varints as Kafka's record format uses them (protobuf style, little-endian groups of 7).
namespace rivulet::varint {

inline std::uint64_t zigzag(std::int64_t v)
{
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::int64_t unzigzag(std::uint64_t v)
{
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline int encodedSize(std::int64_t v)
{
    std::uint64_t u = zigzag(v);
    int n = 1;
    while (u >= 0x80) {
        u >>= 7;
        ++n;
    }
    return n;
}

// Writes v at p and returns the position after it; p must have room for 10 bytes.
inline char *write(char *p, std::int64_t v)
{
    std::uint64_t u = zigzag(v);
    while (u >= 0x80) {
        *p++ = static_cast<char>((u & 0x7F) | 0x80);
        u >>= 7;
    }
    *p++ = static_cast<char>(u);
    return p;
}

// Reads a varint from [p, end). Returns false when it is truncated or longer than 10 bytes.
inline bool read(const char *&p, const char *end, std::int64_t &out)
{
    std::uint64_t u = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return false;
        const auto byte = static_cast<unsigned char>(*p++);
        u |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            out = unzigzag(u);
            return true;
        }
    }
    return false;
}

} // namespace rivulet::varint
