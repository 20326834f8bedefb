#pragma once

#include "browsedrecord.h"
#include "monitor/recordfile.h"

#include <QList>
#include <QString>

namespace rivulet {

// The message browser's Export…: the records it shows, written through the same record file
// format as `rivulet-cli export` (broker/monitor/recordfile.h). Two things the browser's copy
// cannot tell apart are written as the empty string: a null value and an empty one, a null
// header value and an empty one (the log's record view does not keep them apart either).
struct RecordExport
{
    QString topic;
    int partition = 0;
    QList<BrowsedRecord> records;
};

struct RecordExportResult
{
    qint64 written = 0;
    QString error; // empty when the file was written
};

// JSON Lines unless the file name ends in .csv.
recordfile::Format recordFileFormatFor(const QString &path);

// Refuses (with the reason) what the file could not hold exactly: a value the browser cut
// at BrowsedRecord::kMaxValueBytes.
QString checkExportable(const RecordExport &what);

// Writes the records to path, all or nothing (QSaveFile). Blocking file I/O: call it off the
// GUI thread.
RecordExportResult writeRecordFile(const QString &path, const RecordExport &what);

} // namespace rivulet
