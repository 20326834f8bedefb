#include "compression.h"

#include "bytes.h"

#include <QtEndian>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <cstring>

namespace rivulet::compression {
namespace {

std::atomic<qsizetype> g_maxInflatedBytes{kDefaultMaxInflatedBytes};

QString tooLargeError(const char *codec, qsizetype maxOutput, bool &tooLarge)
{
    tooLarge = true;
    return QStringLiteral("%1: data decompresses to more than %2 bytes (the maximum message "
                          "size, --max-message-bytes)")
        .arg(QLatin1String(codec))
        .arg(maxOutput);
}

// Java clients frame snappy data the way snappy-java ("xerial") does: a magic header, then
// blocks of [int32 compressed length][raw snappy block]. librdkafka sends raw snappy.
constexpr char kXerialMagic[8] = {char(0x82), 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr int kXerialHeader = 16;

bool snappyBlock(QByteArrayView in, QByteArray &out, QString &error, qsizetype maxOutput,
                 bool &tooLarge)
{
    size_t length = 0;
    if (snappy_uncompressed_length(in.data(), size_t(in.size()), &length) != SNAPPY_OK) {
        error = QStringLiteral("snappy: corrupt block header");
        return false;
    }
    if (qsizetype(length) > maxOutput - out.size()) {
        error = tooLargeError("snappy", maxOutput, tooLarge);
        return false;
    }
    const qsizetype at = out.size();
    out.resize(at + qsizetype(length));
    if (snappy_uncompress(in.data(), size_t(in.size()), out.data() + at, &length) != SNAPPY_OK) {
        error = QStringLiteral("snappy: corrupt data");
        return false;
    }
    out.resize(at + qsizetype(length));
    return true;
}

bool snappyDecompress(QByteArrayView in, QByteArray &out, QString &error, qsizetype maxOutput,
                      bool &tooLarge)
{
    if (in.size() < kXerialHeader || std::memcmp(in.data(), kXerialMagic, 8) != 0)
        return snappyBlock(in, out, error, maxOutput, tooLarge);
    qsizetype at = kXerialHeader;
    while (at < in.size()) {
        if (in.size() - at < 4) {
            error = QStringLiteral("snappy: truncated block");
            return false;
        }
        const std::int64_t length = be::readU32(in.data() + at);
        at += 4;
        if (length > in.size() - at) {
            error = QStringLiteral("snappy: truncated block");
            return false;
        }
        if (!snappyBlock(in.sliced(at, qsizetype(length)), out, error, maxOutput, tooLarge))
            return false;
        at += qsizetype(length);
    }
    return true;
}

bool gzipDecompress(QByteArrayView in, QByteArray &out, QString &error, qsizetype maxOutput,
                    bool &tooLarge)
{
    // The trailer's ISIZE is the last member's size mod 2^32: past the bound, the data is
    // too large (or damaged) without inflating a byte of it. A forged one costs no more
    // than the bound below.
    constexpr qsizetype kGzipMinimum = 18;
    if (in.size() >= kGzipMinimum && quint8(in[0]) == 0x1f && quint8(in[1]) == 0x8b &&
        qsizetype(qFromLittleEndian<quint32>(in.data() + in.size() - 4)) > maxOutput) {
        error = tooLargeError("gzip", maxOutput, tooLarge);
        return false;
    }
    z_stream z = {};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        error = QStringLiteral("gzip: cannot initialise zlib");
        return false;
    }
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
    z.avail_in = uInt(in.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (out.size() >= maxOutput) {
            error = tooLargeError("gzip", maxOutput, tooLarge);
            break;
        }
        const qsizetype at = out.size();
        const qsizetype chunk =
            std::min<qsizetype>(std::max<qsizetype>(in.size() * 4, 64 << 10), maxOutput - at);
        out.resize(at + chunk);
        z.next_out = reinterpret_cast<Bytef *>(out.data() + at);
        z.avail_out = uInt(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        out.resize(at + chunk - qsizetype(z.avail_out));
        if (rc != Z_OK && rc != Z_STREAM_END) {
            error =
                QStringLiteral("gzip: %1").arg(QString::fromLatin1(z.msg ? z.msg : "corrupt data"));
            break;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            error = QStringLiteral("gzip: truncated data");
            break;
        }
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END && error.isEmpty();
}

bool lz4Decompress(QByteArrayView in, QByteArray &out, QString &error, qsizetype maxOutput,
                   bool &tooLarge)
{
    LZ4F_dctx *ctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
        error = QStringLiteral("lz4: cannot initialise");
        return false;
    }
    // a frame that declares its content size past the bound is refused before inflating
    LZ4F_frameInfo_t info = {};
    size_t headerBytes = size_t(in.size());
    if (!LZ4F_isError(LZ4F_getFrameInfo(ctx, &info, in.data(), &headerBytes)) &&
        info.contentSize > quint64(maxOutput)) {
        LZ4F_freeDecompressionContext(ctx);
        error = tooLargeError("lz4", maxOutput, tooLarge);
        return false;
    }
    LZ4F_resetDecompressionContext(ctx);
    const char *src = in.data();
    size_t left = size_t(in.size());
    size_t hint = 1;
    while (left > 0 && hint != 0) {
        if (out.size() >= maxOutput) {
            error = tooLargeError("lz4", maxOutput, tooLarge);
            break;
        }
        const qsizetype at = out.size();
        const qsizetype chunk = std::min<qsizetype>(64 << 10, maxOutput - at);
        out.resize(at + chunk);
        size_t produced = size_t(chunk);
        size_t consumed = left;
        hint = LZ4F_decompress(ctx, out.data() + at, &produced, src, &consumed, nullptr);
        out.resize(at + qsizetype(produced));
        if (LZ4F_isError(hint)) {
            error = QStringLiteral("lz4: %1").arg(QString::fromLatin1(LZ4F_getErrorName(hint)));
            break;
        }
        src += consumed;
        left -= consumed;
        if (consumed == 0 && produced == 0) {
            error = QStringLiteral("lz4: truncated data");
            break;
        }
    }
    LZ4F_freeDecompressionContext(ctx);
    if (error.isEmpty() && hint != 0)
        error = QStringLiteral("lz4: truncated frame");
    return error.isEmpty();
}

bool zstdDecompress(QByteArrayView in, QByteArray &out, QString &error, qsizetype maxOutput,
                    bool &tooLarge)
{
    // a frame that declares its content size past the bound is refused before inflating
    const unsigned long long declared = ZSTD_getFrameContentSize(in.data(), size_t(in.size()));
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR &&
        declared > quint64(maxOutput)) {
        error = tooLargeError("zstd", maxOutput, tooLarge);
        return false;
    }
    ZSTD_DStream *stream = ZSTD_createDStream();
    ZSTD_initDStream(stream);
    ZSTD_inBuffer input{in.data(), size_t(in.size()), 0};
    size_t rc = 1;
    while (rc != 0) {
        if (out.size() >= maxOutput) {
            error = tooLargeError("zstd", maxOutput, tooLarge);
            break;
        }
        const qsizetype at = out.size();
        const qsizetype chunk =
            std::min<qsizetype>(qsizetype(ZSTD_DStreamOutSize()), maxOutput - at);
        out.resize(at + chunk);
        ZSTD_outBuffer output{out.data() + at, size_t(chunk), 0};
        rc = ZSTD_decompressStream(stream, &output, &input);
        out.resize(at + qsizetype(output.pos));
        if (ZSTD_isError(rc)) {
            error = QStringLiteral("zstd: %1").arg(QString::fromLatin1(ZSTD_getErrorName(rc)));
            break;
        }
        if (rc != 0 && input.pos == input.size && output.pos == 0) {
            error = QStringLiteral("zstd: truncated data");
            break;
        }
    }
    ZSTD_freeDStream(stream);
    return error.isEmpty();
}

} // namespace

qsizetype maxInflatedBytes()
{
    return g_maxInflatedBytes.load(std::memory_order_relaxed);
}

void setMaxInflatedBytes(qsizetype bytes)
{
    g_maxInflatedBytes.store(bytes, std::memory_order_relaxed);
}

const char *codecName(int codec)
{
    switch (codec) {
    case 0:
        return "none";
    case 1:
        return "gzip";
    case 2:
        return "snappy";
    case 3:
        return "lz4";
    case 4:
        return "zstd";
    }
    return "unknown";
}

bool decompress(int codec, QByteArrayView input, QByteArray &out, QString &error,
                qsizetype maxOutput, bool *tooLarge)
{
    out.clear();
    // the codecs tell success by an empty error: one left from an earlier call must not count
    error.clear();
    if (maxOutput < 0)
        maxOutput = maxInflatedBytes();
    bool ok = false;
    bool large = false;
    switch (codec) {
    case 1:
        ok = gzipDecompress(input, out, error, maxOutput, large);
        break;
    case 2:
        ok = snappyDecompress(input, out, error, maxOutput, large);
        break;
    case 3:
        ok = lz4Decompress(input, out, error, maxOutput, large);
        break;
    case 4:
        ok = zstdDecompress(input, out, error, maxOutput, large);
        break;
    default:
        error = QStringLiteral("unknown compression codec %1").arg(codec);
        break;
    }
    if (tooLarge)
        *tooLarge = large;
    if (!ok)
        out = QByteArray(); // what was inflated before the failure goes back at once
    return ok;
}

bool compress(int codec, QByteArrayView input, QByteArray &out, QString &error)
{
    out.clear();
    switch (codec) {
    case 1: {
        z_stream z = {};
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            break;
        out.resize(qsizetype(deflateBound(&z, uLong(input.size()))) + 32);
        z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(input.data()));
        z.avail_in = uInt(input.size());
        z.next_out = reinterpret_cast<Bytef *>(out.data());
        z.avail_out = uInt(out.size());
        const int rc = deflate(&z, Z_FINISH);
        out.resize(out.size() - qsizetype(z.avail_out));
        deflateEnd(&z);
        if (rc == Z_STREAM_END)
            return true;
        break;
    }
    case 2: {
        size_t length = snappy_max_compressed_length(size_t(input.size()));
        out.resize(qsizetype(length));
        if (snappy_compress(input.data(), size_t(input.size()), out.data(), &length) == SNAPPY_OK) {
            out.resize(qsizetype(length));
            return true;
        }
        break;
    }
    case 3: {
        out.resize(qsizetype(LZ4F_compressFrameBound(size_t(input.size()), nullptr)));
        const size_t n = LZ4F_compressFrame(out.data(), size_t(out.size()), input.data(),
                                            size_t(input.size()), nullptr);
        if (!LZ4F_isError(n)) {
            out.resize(qsizetype(n));
            return true;
        }
        break;
    }
    case 4: {
        out.resize(qsizetype(ZSTD_compressBound(size_t(input.size()))));
        const size_t n =
            ZSTD_compress(out.data(), size_t(out.size()), input.data(), size_t(input.size()), 3);
        if (!ZSTD_isError(n)) {
            out.resize(qsizetype(n));
            return true;
        }
        break;
    }
    }
    error = QStringLiteral("cannot compress with codec %1").arg(codec);
    return false;
}

} // namespace rivulet::compression
