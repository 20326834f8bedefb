#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace rivulet {

// Kafka's record-batch codecs (attributes bits 0-2): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
// Rivulet stores compressed batches exactly as producers sent them and only decompresses
// to show or hand out individual records (native consumers, the message browser), using the
// real libraries: zlib, libsnappy, liblz4 (frame format) and libzstd.
namespace compression {

const char *codecName(int codec);

// The most a compressed batch's records may inflate to (the broker's --max-message-bytes):
// a produce over it is refused, and a batch stored before that check that inflates past it
// is not decompressed when read. Process-wide, since every reader of a batch (both
// protocols, the window, the producer-state scan) decompresses through here; the Broker
// sets it from its configuration.
constexpr qsizetype kDefaultMaxInflatedBytes = qsizetype(32) << 20;
qsizetype maxInflatedBytes();
void setMaxInflatedBytes(qsizetype bytes);

// Decompresses the records section of a batch into out. Bounded by maxOutput (-1: by
// maxInflatedBytes()), so a hostile "zip bomb" cannot exhaust memory or time: decompression
// stops as soon as the output would pass the bound. False (and why) on any failure;
// tooLarge, if given, says whether the bound was the reason.
bool decompress(int codec, QByteArrayView input, QByteArray &out, QString &error,
                qsizetype maxOutput = -1, bool *tooLarge = nullptr);

// Compresses data with a codec (for tests and tools that build compressed batches).
bool compress(int codec, QByteArrayView input, QByteArray &out, QString &error);

} // namespace compression
} // namespace rivulet
