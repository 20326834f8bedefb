#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <limits>

namespace rivulet {

class ClientStats;

// What Broker::produce() is asked to do besides storing the batches.
struct ProduceOptions
{
    // Create the topic (with this many partitions) when it does not exist.
    bool autoCreate = false;
    int autoCreatePartitions = 1;
    // The batches were built by Rivulet itself (native Produce, the window's injector):
    // their CRC and records are right by construction and are not checked again.
    bool trusted = false;
    // Refuse the produce when its last offset would be past this (the native protocol's
    // 32-bit offsets).
    std::int64_t lastOffsetLimit = std::numeric_limits<std::int64_t>::max();
    ClientStats *stats = nullptr; // the connection's counters, if any
};

enum class ProduceError
{
    None,
    UnknownTopic,
    UnknownPartition,
    InvalidTopic,
    OffsetLimit,
    CorruptBatch,       // framing, CRC, or compressed records that cannot be decompressed
    UnsupportedFormat,  // message format (magic) 0 or 1
    InvalidRecords,     // records that do not parse or disagree with the header; or no batch
    MessageTooLarge,    // a batch whose records, uncompressed, pass --max-message-bytes
    Storage,            // the log refused the append (disk full, damaged partition…)
    OutOfOrderSequence, // an idempotent producer's batch with a gap before it
    StaleProducerEpoch, // an idempotent producer's batch from a fenced (older) epoch
};

struct ProduceResult
{
    ProduceError error = ProduceError::None;
    QString message;              // why, for the native protocol and logs
    std::int64_t baseOffset = -1; // of the first stored record
    std::int64_t lastOffset = -1;
    std::int64_t records = 0;         // stored now (a retried duplicate stores none)
    int partitionCount = 0;           // of the topic, when it exists
    std::int64_t logStartOffset = -1; // of the partition, when it exists
};

} // namespace rivulet
