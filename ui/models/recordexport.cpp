#include "recordexport.h"

#include <QObject>
#include <QSaveFile>

namespace rivulet {

recordfile::Format recordFileFormatFor(const QString &path)
{
    return path.endsWith(QStringLiteral(".csv"), Qt::CaseInsensitive)
               ? recordfile::Format::Csv
               : recordfile::Format::JsonLines;
}

QString checkExportable(const RecordExport &what)
{
    for (const DecodedRecord &r : what.records) {
        if (r.valueTruncated())
            return QObject::tr("The record at offset %1 has a value of %2 bytes; the browser "
                               "keeps only the first %3. Export it with rivulet-cli export.")
                .arg(r.offset)
                .arg(r.valueSize)
                .arg(DecodedRecord::kMaxValueBytes);
    }
    return {};
}

RecordExportResult writeRecordFile(const QString &path, const RecordExport &what)
{
    RecordExportResult result;
    if (const QString refused = checkExportable(what); !refused.isEmpty()) {
        result.error = refused;
        return result;
    }
    const recordfile::Format format = recordFileFormatFor(path);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        result.error = QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
        return result;
    }
    file.write(recordfile::fileHeader(format));
    for (const DecodedRecord &r : what.records) {
        recordfile::Record out;
        out.topic = what.topic;
        out.partition = r.partition;
        out.offset = r.offset;
        out.timestamp = r.timestamp;
        if (r.hasKey)
            out.key = r.key;
        if (r.hasValue)
            out.value = r.value;
        for (const DecodedHeader &h : r.headers)
            out.headers.append(
                {h.name, h.hasValue ? std::optional<QByteArray>(h.value) : std::nullopt});
        file.write(recordfile::encode(format, out));
    }
    if (!file.commit()) { // also reports a write that failed on the way
        result.error = QObject::tr("Cannot write %1: %2").arg(path, file.errorString());
        return result;
    }
    result.written = what.records.size();
    return result;
}

} // namespace rivulet
