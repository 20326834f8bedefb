// libFuzzer harness: RecordBatch validation, record and header decoding, and decompression
// with the four codecs (broker/log/recordbatch.*, compression.*).
//
// Input: one mode byte, then a batch. Mode bit 0 sets the batch's CRC to the right value and
// bits 1-3 (when 1-4) its codec, so that the fuzzer gets past the CRC check to the records;
// the high bits pick a codec for the bytes after the batch header to be decompressed on
// their own, and compressed again and back (the round trip must give the same bytes).
#include "fuzzsupport.h"

#include "log/bytes.h"
#include "log/compression.h"
#include "log/crc32c.h"
#include "log/recordbatch.h"

using namespace rivulet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.u8();
    QByteArray bytes = in.rest().toByteArray();
    const int forcedCodec = (mode >> 1) & 0x07;
    if (bytes.size() >= batch::kHeaderSize) {
        char *h = bytes.data();
        if (forcedCodec >= 1 && forcedCodec <= 4)
            be::writeU16(
                h + batch::kAttributes,
                std::uint16_t((be::readI16(h + batch::kAttributes) & ~0x07) | forcedCodec));
        if (mode & 1)
            be::writeU32(h + batch::kCrc,
                         crc32c(h + batch::kAttributes, bytes.size() - batch::kAttributes));
    }

    const RecordBatchView view(bytes);
    (void)RecordBatchView::sizeAt(bytes.constData(), std::size_t(bytes.size()));
    const auto framing = view.validate(false);
    const auto check = view.validate(true);
    if (RecordBatchView::describe(check) == nullptr)
        fuzz::fail("a check has no description");
    if (framing == RecordBatchView::Check::Ok) {
        // what every reader of a stored batch does with it
        (void)view.lastOffset();
        (void)view.isControl();
        (void)view.isTransactional();
        (void)view.maxTimestamp();
        std::int32_t seen = 0;
        view.forEachRecord(view.baseOffset(), [&](const RecordView &record) {
            ++seen;
            std::int32_t headers = 0;
            forEachHeader(record, [&](const HeaderView &) { ++headers; });
            if (headers > record.headerCount)
                fuzz::fail("more headers than the record's count");
            return true;
        });
        if (seen > std::max(view.recordCount(), 0))
            fuzz::fail("more records than the batch's count");
        QByteArray records;
        QString error;
        if (!view.decompressRecords(records, &error) && error.isEmpty())
            fuzz::fail("a batch that cannot be decompressed gives no reason");
    }

    // the codecs on their own, on the bytes after the header (or all of them)
    const int codec = 1 + (mode >> 4) % 4;
    const QByteArrayView payload = bytes.size() > batch::kHeaderSize
                                       ? QByteArrayView(bytes).sliced(batch::kHeaderSize)
                                       : QByteArrayView(bytes);
    QByteArray out;
    QString error;
    if (!compression::decompress(codec, payload, out, error, qsizetype(4) << 20) && error.isEmpty())
        fuzz::fail("a failed decompression gives no reason");
    if (out.size() > (qsizetype(4) << 20))
        fuzz::fail("decompression went past its maximum");
    QByteArray packed, unpacked;
    if (!compression::compress(codec, payload, packed, error))
        fuzz::fail("compression failed");
    if (!compression::decompress(codec, packed, unpacked, error) || unpacked != payload) {
        std::fprintf(stderr, "%s, %lld bytes: %s\n", compression::codecName(codec),
                     qlonglong(payload.size()), qPrintable(error));
        fuzz::fail("compressed bytes do not decompress to themselves");
    }
    return 0;
}
