#pragma once

#include <QByteArray>
#include <QList>
#include <QRegularExpression>
#include <QString>

#include <cstdint>
#include <optional>

namespace rivulet {

class Partition;
struct RecordView;

// What Broker::readRecords() and Broker::offsetForTimestamp() hand out: plain copies of
// stored records, for the window's message browser and anyone else who wants records
// decoded rather than as the batches Fetch sends.

struct DecodedHeader
{
    QByteArray name;
    QByteArray value;
    bool hasValue = true; // false: a null header value
};

// One record copied out of a partition. Values longer than kMaxValueBytes are cut (valueSize
// keeps the real size) so that a page stays small.
struct DecodedRecord
{
    static constexpr qsizetype kMaxValueBytes = 1 << 20;

    int partition = 0;
    std::int64_t offset = 0;
    std::int64_t timestamp = 0;
    bool hasKey = false;
    QByteArray key;
    bool hasValue = true; // false: a null value (a Kafka tombstone)
    QByteArray value;
    std::int64_t valueSize = 0;
    std::int64_t size = 0; // key + value + header bytes as stored
    QList<DecodedHeader> headers;

    bool valueTruncated() const { return valueSize > value.size(); }
};

// What one page read found. nextOffset is where the next page starts.
struct RecordPage
{
    int partition = 0;
    QList<DecodedRecord> records;
    std::int64_t fromOffset = 0;
    std::int64_t nextOffset = 0;
    std::int64_t startOffset = 0;
    std::int64_t endOffset = 0;
    std::int64_t scanned = 0; // records looked at (more than taken when filtering)
    QString note;             // e.g. offsets skipped because their batch cannot be decoded
    QString error;            // the partition could not serve its data, or a bad filter
};

// Which records a read keeps; the two parts must both match.
struct RecordFilter
{
    // Records whose key, value or a header's name or value contains text, ignoring ASCII
    // case; with regex, in which the regular expression (PCRE, case-sensitive unless it says
    // (?i)) finds a match, the bytes read as UTF-8. Empty: every record.
    QString text;
    bool regex = false;
    // Records with a header of exactly this name and, when headerValue is set, exactly that
    // value. Empty: every record.
    QByteArray headerName;
    std::optional<QByteArray> headerValue;

    bool isEmpty() const { return text.isEmpty() && headerName.isEmpty(); }
    // Why the filter cannot be used (an invalid regular expression), or empty.
    QString problem() const;
    bool operator==(const RecordFilter &) const = default;
};

// A filter ready for matching: the regular expression compiled, the text lowered.
class RecordMatcher
{
public:
    explicit RecordMatcher(const RecordFilter &filter);
    const QString &problem() const { return m_problem; }
    bool matchesEverything() const { return m_everything; }
    bool matches(const RecordView &record) const;
    // The same test on a record already copied out (a Kafka cluster's, through librdkafka).
    bool matches(const DecodedRecord &record) const;

private:
    bool matchesText(QByteArrayView bytes) const;
    // The test on a record's parts; headers(f) calls f(name, value, hasValue) for each
    // header. Defined in read.cpp, the only place that uses it.
    template <typename ForEachHeader>
    bool matchesParts(bool hasKey, QByteArrayView key, QByteArrayView value,
                      ForEachHeader headers) const;

    bool m_everything = true;
    QByteArray m_needle; // lower case; the text filter without regex
    std::optional<QRegularExpression> m_regex;
    QByteArray m_headerName;
    std::optional<QByteArray> m_headerValue;
    QString m_problem;
};

struct ReadRequest
{
    std::int64_t fromOffset = 0;
    int maxRecords = 200;
    RecordFilter filter;
    // A filtered read gives up after this long, so a rare match does not hold a thread;
    // the page then ends early and the caller asks again from nextOffset.
    int timeBudgetMs = 250;
};

// Where a partition's first record at or after a timestamp is, as Kafka's ListOffsets
// answers it; with timestamp kNewestTimestamp, the first record with the largest timestamp.
struct TimestampLookup
{
    static constexpr std::int64_t kNewestTimestamp = -3; // ListOffsets' MAX_TIMESTAMP

    std::int64_t offset = -1; // -1: no such record
    std::int64_t timestamp = -1;
    QString error; // the stored data could not be read
};

struct PartitionRange
{
    std::int64_t startOffset = 0;
    std::int64_t endOffset = 0;
};

// The code behind Broker::readRecords() and offsetForTimestamp(), for a partition already
// found (ListOffsets has it in hand). Both take the partition's lock a batch run at a time
// and may read files: never on the GUI thread.
RecordPage readRecordPage(const Partition &partition, const ReadRequest &request,
                          const RecordMatcher &matcher);
TimestampLookup lookUpTimestamp(const Partition &partition, std::int64_t timestamp);

// Whether haystack contains needle, ignoring ASCII case. needle must be lower case.
bool containsIgnoringCase(QByteArrayView haystack, QByteArrayView needle);

} // namespace rivulet
