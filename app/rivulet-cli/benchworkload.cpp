#include "benchworkload.h"

#include <QFile>
#include <QJsonDocument>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace cli::bench {
namespace {

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kPoolSpread = 1u << 16;
constexpr char kSeedPrefix[] = "nice message ";
constexpr std::size_t kSeedPrefixBytes = sizeof(kSeedPrefix) - 1;

std::uint64_t mix(std::uint64_t x)
{
    // splitmix64's finaliser: cheap, and every input bit moves every output bit
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void putHeader(char *out, std::uint32_t producer, std::uint64_t index)
{
    for (int i = 0; i < 4; ++i)
        out[i] = char(producer >> (24 - 8 * i));
    for (int i = 0; i < 8; ++i)
        out[4 + i] = char(index >> (56 - 8 * i));
}

std::size_t digits(std::uint64_t v)
{
    std::size_t n = 1;
    while (v >= 10) {
        v /= 10;
        ++n;
    }
    return n;
}

} // namespace

ValueSource::ValueSource(int size, bool seedValues) : m_size(std::max(size, 0)), m_seed(seedValues)
{
    if (m_seed)
        return;
    m_pool.resize(kPoolSpread + std::size_t(m_size));
    std::uint64_t state = 0x5eed;
    for (char &c : m_pool)
        c = char(mix(state++) >> 56);
}

std::size_t ValueSource::poolOffset(std::uint32_t producer, std::uint64_t index) const
{
    return std::size_t(mix((std::uint64_t(producer) << 40) ^ index) % kPoolSpread);
}

std::size_t ValueSource::length(std::uint64_t index) const
{
    return m_seed ? kSeedPrefixBytes + digits(index) : std::size_t(m_size);
}

std::uint64_t ValueSource::totalBytes(std::uint64_t count) const
{
    if (!m_seed)
        return count * std::uint64_t(m_size);
    std::uint64_t total = count * kSeedPrefixBytes;
    // digits: 1 for 0-9, 2 for 10-99, ...
    for (std::uint64_t from = 0, to = 10, d = 1; from < count; from = to, to *= 10, ++d)
        total += (std::min(to, count) - from) * d;
    return total;
}

std::size_t ValueSource::append(std::string &out, std::uint32_t producer, std::uint64_t index) const
{
    const std::size_t at = out.size();
    const std::size_t n = length(index);
    out.resize(at + n);
    char *p = out.data() + at;
    if (m_seed) {
        std::memcpy(p, kSeedPrefix, kSeedPrefixBytes);
        std::to_chars(p + kSeedPrefixBytes, p + n, index);
        return n;
    }
    char header[kHeaderBytes];
    putHeader(header, producer, index);
    const std::size_t h = std::min(n, kHeaderBytes);
    std::memcpy(p, header, h);
    if (n > h)
        std::memcpy(p + h, m_pool.data() + poolOffset(producer, index), n - h);
    return n;
}

bool ValueSource::matches(std::uint32_t producer, std::uint64_t index, const char *data,
                          std::size_t size) const
{
    if (size != length(index))
        return false;
    if (std::int64_t(producer) == m_corruptProducer && index == m_corruptIndex) {
        std::string expected;
        append(expected, producer, index);
        expected[expected.size() / 2] ^= 0x20;
        return std::memcmp(expected.data(), data, size) == 0;
    }
    if (m_seed) {
        std::uint64_t parsed = 0;
        if (std::memcmp(data, kSeedPrefix, kSeedPrefixBytes) != 0)
            return false;
        const auto r = std::from_chars(data + kSeedPrefixBytes, data + size, parsed);
        return r.ec == std::errc() && r.ptr == data + size && parsed == index;
    }
    char header[kHeaderBytes];
    putHeader(header, producer, index);
    const std::size_t h = std::min(size, kHeaderBytes);
    return std::memcmp(data, header, h) == 0 &&
           (size == h ||
            std::memcmp(data + h, m_pool.data() + poolOffset(producer, index), size - h) == 0);
}

PartitionCheck::PartitionCheck(const ValueSource &values, std::vector<std::uint32_t> producers,
                               std::uint64_t perProducer)
    : m_values(values), m_producers(std::move(producers)), m_next(m_producers.size(), 0),
      m_perProducer(perProducer)
{
}

bool PartitionCheck::accept(std::int64_t offset, const char *data, std::size_t size)
{
    if (offset >= 0 && std::uint64_t(offset) != m_seen) {
        m_error = QStringLiteral("got offset %1 where %2 was next").arg(offset).arg(m_seen);
        return false;
    }
    const std::size_t n = m_producers.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = (m_last + i) % n;
        if (m_next[k] < m_perProducer && m_values.matches(m_producers[k], m_next[k], data, size)) {
            ++m_next[k];
            ++m_seen;
            m_bytes += size;
            m_last = k;
            return true;
        }
    }
    QString wanted;
    for (std::size_t k = 0; k < n && wanted.size() < 200; ++k)
        if (m_next[k] < m_perProducer)
            wanted += QStringLiteral(" %1#%2").arg(m_producers[k]).arg(m_next[k]);
    m_error = QStringLiteral("the record at position %1 (%2 bytes) is not the next message of any "
                             "producer of this partition (next wanted, producer#index:%3)")
                  .arg(m_seen)
                  .arg(size)
                  .arg(wanted.isEmpty() ? QStringLiteral(" none, all were seen") : wanted);
    return false;
}

Percentiles percentiles(std::vector<std::uint32_t> samples)
{
    Percentiles out;
    out.count = samples.size();
    if (samples.empty())
        return out;
    std::sort(samples.begin(), samples.end());
    const auto at = [&](double q) {
        // nearest rank
        const auto rank = std::size_t(q * double(samples.size()) + 0.999999);
        return double(samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1]);
    };
    out.p50 = at(0.50);
    out.p99 = at(0.99);
    out.p999 = at(0.999);
    out.max = double(samples.back());
    return out;
}

std::vector<int> partitionsOf(int consumer, int consumers, int partitions)
{
    std::vector<int> out;
    if (consumers >= partitions) {
        out.push_back(consumer % partitions);
        return out;
    }
    for (int p = consumer; p < partitions; p += consumers)
        out.push_back(p);
    return out;
}

std::vector<std::uint32_t> producersOf(int partition, int producers, int partitions)
{
    std::vector<std::uint32_t> out;
    for (int i = partition; i < producers; i += partitions)
        out.push_back(std::uint32_t(i));
    return out;
}

void writeJsonReport(const Options &options, const QJsonObject &json)
{
    if (options.jsonPath.isEmpty())
        return;
    QFile f(options.jsonPath);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        f.write(QJsonDocument(json).toJson()) < 0)
        std::fprintf(stderr, "rivulet-cli bench: cannot write %s\n", qPrintable(options.jsonPath));
}

} // namespace cli::bench
