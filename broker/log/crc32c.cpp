#include "crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace rivulet {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u;

// Slice-by-8 tables for CPUs without the CRC32 instruction.
struct Tables
{
    std::array<std::array<std::uint32_t, 256>, 8> t{};
    constexpr Tables()
    {
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
            t[0][i] = c;
        }
        for (std::uint32_t i = 0; i < 256; ++i)
            for (int s = 1; s < 8; ++s)
                t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
};

constexpr Tables kTables;

std::uint32_t extendPortable(std::uint32_t crc, const unsigned char *p, std::size_t n)
{
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        word ^= crc;
        crc = kTables.t[7][word & 0xFF] ^ kTables.t[6][(word >> 8) & 0xFF] ^
              kTables.t[5][(word >> 16) & 0xFF] ^ kTables.t[4][(word >> 24) & 0xFF] ^
              kTables.t[3][(word >> 32) & 0xFF] ^ kTables.t[2][(word >> 40) & 0xFF] ^
              kTables.t[1][(word >> 48) & 0xFF] ^ kTables.t[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ kTables.t[0][(crc ^ *p++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t
extendHardware(std::uint32_t crc, const unsigned char *p, std::size_t n)
{
    std::uint64_t c = crc;
    while (n >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (n--)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

const bool kHasHardware = __builtin_cpu_supports("sse4.2");
#endif

} // namespace

std::uint32_t crc32cExtend(std::uint32_t crc, const void *data, std::size_t length)
{
    const auto *p = static_cast<const unsigned char *>(data);
    crc = ~crc;
#if defined(__x86_64__)
    if (kHasHardware)
        return ~extendHardware(crc, p, length);
#endif
    return ~extendPortable(crc, p, length);
}

std::uint32_t crc32c(const void *data, std::size_t length)
{
    return crc32cExtend(0, data, length);
}

} // namespace rivulet
