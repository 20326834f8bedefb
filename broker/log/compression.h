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

// Decompresses the records section of a batch into out. Bounded by maxOutput so a
// hostile "zip bomb" cannot exhaust memory; false (and why) on any failure.
bool decompress(int codec, QByteArrayView input, QByteArray &out, QString &error,
                qsizetype maxOutput = qsizetype(256) << 20);

// Compresses data with a codec (for tests and tools that build compressed batches).
bool compress(int codec, QByteArrayView input, QByteArray &out, QString &error);

} // namespace compression
} // namespace rivulet
