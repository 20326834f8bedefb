#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <cstdint>
#include <optional>

class QIODevice;

// The record file format of `rivulet-cli export` / `import` and the window's Messages →
// Export: JSON Lines (read and written) and CSV (written only). Pure code over bytes.
//
// JSON Lines: one object per line, fields in this order:
//   {"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,
//    "key":"k","value":"v","headers":[{"key":"h","value":"x"}]}
// - timestamp is milliseconds since the epoch (the record's Kafka timestamp).
// - key, value and each header's key and value are JSON strings when their bytes are valid
//   UTF-8 (and survive the round trip unchanged); otherwise they are base64 (RFC 4648, with
//   padding) and the object carries "keyEncoding":"base64" / "valueEncoding":"base64" beside
//   them. An encoding of "utf8" may be given and is the default.
// - A null key, value (a tombstone) or header value is JSON null.
// - Reading: "value" is required; "key" (null), "headers" (none), "timestamp" (the
//   producer's clock), "partition" (the producer chooses) and "topic"/"offset" (for the
//   reader's information; the import's topic and the broker's offsets win) may be left out.
//   Unknown fields are an error (a misspelt "timestmap" must not be dropped silently). Blank
//   lines are skipped; a line may end in CRLF.
//
// CSV (RFC 4180: CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes doubled),
// with a header row:
//   topic,partition,offset,timestamp,time,key,keyEncoding,value,valueEncoding,headers
// time is the timestamp in ISO 8601 UTC; keyEncoding/valueEncoding are "utf8", "base64" or
// "null" (then the cell is empty); headers is the JSON array of the JSON Lines form.
namespace rivulet::recordfile {

struct Header
{
    QByteArray key;
    std::optional<QByteArray> value; // nullopt: a null header value
};

struct Record
{
    QString topic;
    std::int32_t partition = -1; // -1: not given
    std::int64_t offset = -1;    // -1: not given
    std::int64_t timestamp = -1; // ms since the epoch; -1: not given
    std::optional<QByteArray> key;
    std::optional<QByteArray> value;
    QList<Header> headers;
};

enum class Format
{
    JsonLines,
    Csv
};

// "jsonl" (also "json", "ndjson") or "csv"; nullopt for anything else.
std::optional<Format> formatFromName(QStringView name);

// What goes before the first record (the CSV header row; nothing for JSON Lines).
QByteArray fileHeader(Format format);
// One record as one line of the format, line end included.
QByteArray encode(Format format, const Record &record);

struct Limits
{
    qint64 maxLineBytes = 64 << 20; // base64 of a value of about 48 MiB
    int maxHeaders = 4096;
};

// Parses one JSON Lines line (without its line end) into record. On failure returns false
// and says what is wrong in error (without the line number: the reader adds it).
bool parseJsonLine(QByteArrayView line, Record &record, QString &error, const Limits &limits = {});

// Reads a JSON Lines file record by record, never holding more than one line
// (Limits::maxLineBytes) and a 64 KiB read-ahead in memory.
class JsonLinesReader
{
public:
    enum class Status
    {
        Record, // next() filled the record
        End,    // the input ended cleanly
        Error   // errorString() says which line and what is wrong; reading stops
    };

    explicit JsonLinesReader(QIODevice *device, Limits limits = {});

    Status next(Record &record);
    // "line 12: value: not valid base64"
    QString errorString() const { return m_error; }
    // The number of the line the last record came from (1-based).
    qint64 lineNumber() const { return m_line; }
    // After an Error about a line that was read whole but is not a valid record, forgets it
    // so that next() goes on with the following line (the window's import skips bad lines
    // and lists them). False, and reading stays stopped, after a read error or a line over
    // the limit: where the next line starts is not known then.
    bool skipBadLine();

private:
    // The next line, line end included; false at the end of the input or on a read error.
    // tooLong: no line end within the limit.
    bool readLine(QByteArray &line, bool &tooLong);

    QIODevice *m_device;
    Limits m_limits;
    qint64 m_line = 0;
    QString m_error;
    bool m_skippable = false; // m_error is about one whole line
    QByteArray m_buffer;      // read ahead; m_pos: where the next line starts
    qsizetype m_pos = 0;
    qsizetype m_scan = 0; // where to look for the next line end
};

} // namespace rivulet::recordfile
