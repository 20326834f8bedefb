#pragma once

#include "browsedrecord.h"

#include <QByteArray>

namespace rivulet {

class Partition;

// Reads one page of records for the message browser. It takes the partition's lock and may
// read files, so it runs on a pool thread, never on the GUI thread.
struct PageRequest
{
    std::int64_t fromOffset = 0;
    int maxRecords = 200;
    // Keeps only records whose key or value contains this text (ASCII case-insensitive).
    QByteArray filter;
    // A filtered read gives up after this long, so a rare match does not hold a thread;
    // the page then ends early and the caller asks again from nextOffset.
    int timeBudgetMs = 250;
};

RecordPage readRecordPage(const Partition &partition, const PageRequest &request);

// Whether haystack contains needle, ignoring ASCII case. needle must be lower case.
bool containsIgnoringCase(QByteArrayView haystack, QByteArrayView needle);

} // namespace rivulet
