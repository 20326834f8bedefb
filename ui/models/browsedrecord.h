#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>

namespace rivulet {

struct BrowsedHeader
{
    QByteArray name;
    QByteArray value;
};

// One record copied out of a partition for the message browser. Values longer than
// kMaxValueBytes are cut (valueSize keeps the real size) so that a page stays small.
struct BrowsedRecord
{
    static constexpr qsizetype kMaxValueBytes = 1 << 20;

    std::int64_t offset = 0;
    std::int64_t timestamp = 0;
    bool hasKey = false;
    QByteArray key;
    QByteArray value;
    std::int64_t valueSize = 0;
    std::int64_t size = 0; // key + value + header bytes as stored
    QList<BrowsedHeader> headers;

    bool valueTruncated() const { return valueSize > value.size(); }
};

// What one page read found. nextOffset is where the next page starts.
struct RecordPage
{
    QList<BrowsedRecord> records;
    std::int64_t fromOffset = 0;
    std::int64_t nextOffset = 0;
    std::int64_t startOffset = 0;
    std::int64_t endOffset = 0;
    std::int64_t scanned = 0; // records looked at (more than taken when filtering)
    QString note;             // e.g. offsets skipped because their batch is compressed
    QString error;            // the partition could not serve its data
};

} // namespace rivulet
