#pragma once

#include <cstddef>
#include <cstdint>

namespace rivulet {

// CRC-32C (Castagnoli), as Kafka's RecordBatch uses it: reflected polynomial 0x82F63B78,
// initial value and final xor 0xFFFFFFFF. Uses the SSE4.2 instruction when the CPU has it.
std::uint32_t crc32c(const void *data, std::size_t length);

// Continues a CRC over more bytes: crc32c(a+b) == crc32cExtend(crc32c(a), b).
std::uint32_t crc32cExtend(std::uint32_t crc, const void *data, std::size_t length);

} // namespace rivulet
