#pragma once

#include "monitor/recordfile.h"
#include "read.h"

#include <QList>
#include <QString>

namespace rivulet {

// The message browser's Export…: the records it shows (of one partition or of several),
// written through the same record file format as `rivulet-cli export`
// (broker/monitor/recordfile.h): a null key, value or header value is null there, an empty
// one the empty string.
struct RecordExport
{
    QString topic;
    QList<DecodedRecord> records;
};

struct RecordExportResult
{
    qint64 written = 0;
    QString error; // empty when the file was written
};

// JSON Lines unless the file name ends in .csv.
recordfile::Format recordFileFormatFor(const QString &path);

// Refuses (with the reason) what the file could not hold exactly: a value the browser cut
// at DecodedRecord::kMaxValueBytes.
QString checkExportable(const RecordExport &what);

// Writes the records to path, all or nothing (QSaveFile). Blocking file I/O: call it off the
// GUI thread.
RecordExportResult writeRecordFile(const QString &path, const RecordExport &what);

} // namespace rivulet
