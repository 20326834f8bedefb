#include "recordfile.h"

#include <QDateTime>
#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

#include <limits>

namespace rivulet::recordfile {
namespace {

const QString kBase64 = QStringLiteral("base64");
const QString kUtf8 = QStringLiteral("utf8");

// True when the bytes are UTF-8 that decodes and encodes back to the same bytes (no
// invalid sequences, overlong forms or surrogates, which would come back changed).
bool isExactUtf8(const QByteArray &bytes)
{
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

void appendJsonString(QByteArray &out, QByteArrayView utf8)
{
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xf];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

// "name":value[,"nameEncoding":"base64"] for bytes that may be null.
void appendBytesField(QByteArray &out, const char *name, const std::optional<QByteArray> &bytes)
{
    out += '"';
    out += name;
    out += "\":";
    if (!bytes) {
        out += "null";
        return;
    }
    if (isExactUtf8(*bytes)) {
        appendJsonString(out, *bytes);
        return;
    }
    out += '"';
    out += bytes->toBase64();
    out += "\",\"";
    out += name;
    out += "Encoding\":\"base64\"";
}

QByteArray headersJson(const QList<Header> &headers)
{
    QByteArray out = "[";
    for (qsizetype i = 0; i < headers.size(); ++i) {
        if (i > 0)
            out += ',';
        out += '{';
        appendBytesField(out, "key", headers[i].key);
        out += ',';
        appendBytesField(out, "value", headers[i].value);
        out += '}';
    }
    out += ']';
    return out;
}

QByteArray jsonLine(const Record &r)
{
    QByteArray out;
    out.reserve(64 + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() * 4 / 3 : 0));
    out += '{';
    bool first = true;
    auto separate = [&] {
        if (!first)
            out += ',';
        first = false;
    };
    if (!r.topic.isEmpty()) {
        separate();
        out += "\"topic\":";
        appendJsonString(out, r.topic.toUtf8());
    }
    if (r.partition >= 0) {
        separate();
        out += "\"partition\":" + QByteArray::number(r.partition);
    }
    if (r.offset >= 0) {
        separate();
        out += "\"offset\":" + QByteArray::number(r.offset);
    }
    if (r.timestamp >= 0) {
        separate();
        out += "\"timestamp\":" + QByteArray::number(r.timestamp);
    }
    separate();
    appendBytesField(out, "key", r.key);
    out += ',';
    appendBytesField(out, "value", r.value);
    out += ",\"headers\":" + headersJson(r.headers) + "}\n";
    return out;
}

void appendCsvField(QByteArray &out, QByteArrayView field)
{
    const bool quote =
        field.contains(',') || field.contains('"') || field.contains('\r') || field.contains('\n');
    if (!quote) {
        out += field;
        return;
    }
    out += '"';
    for (const char c : field) {
        if (c == '"')
            out += '"';
        out += c;
    }
    out += '"';
}

// The cell and its encoding column: text, base64 or nothing for null.
void appendCsvBytes(QByteArray &out, const std::optional<QByteArray> &bytes)
{
    if (!bytes) {
        out += ",null";
        return;
    }
    if (isExactUtf8(*bytes)) {
        appendCsvField(out, *bytes);
        out += ",utf8";
    } else {
        out += bytes->toBase64();
        out += ",base64";
    }
}

QByteArray csvLine(const Record &r)
{
    QByteArray out;
    appendCsvField(out, r.topic.toUtf8());
    out += ',';
    if (r.partition >= 0)
        out += QByteArray::number(r.partition);
    out += ',';
    if (r.offset >= 0)
        out += QByteArray::number(r.offset);
    out += ',';
    if (r.timestamp >= 0) {
        out += QByteArray::number(r.timestamp);
        out += ',';
        out += QDateTime::fromMSecsSinceEpoch(r.timestamp, Qt::UTC)
                   .toString(Qt::ISODateWithMs)
                   .toUtf8();
    } else {
        out += ',';
    }
    out += ',';
    appendCsvBytes(out, r.key);
    out += ',';
    appendCsvBytes(out, r.value);
    out += ',';
    appendCsvField(out, headersJson(r.headers));
    out += "\r\n";
    return out;
}

// Reads the bytes of field `name` of object o (a string, or null when nullable) with its
// "<name>Encoding". Returns false with error on anything else.
bool readBytes(const QJsonObject &o, const QString &name, bool nullable,
               std::optional<QByteArray> &out, QString &error)
{
    const QJsonValue v = o.value(name);
    const QString encodingName = name + QStringLiteral("Encoding");
    const QJsonValue encoding = o.value(encodingName);
    QString how = kUtf8;
    if (!encoding.isUndefined()) {
        if (!encoding.isString() ||
            (encoding.toString() != kUtf8 && encoding.toString() != kBase64)) {
            error = QStringLiteral("%1 must be \"utf8\" or \"base64\"").arg(encodingName);
            return false;
        }
        how = encoding.toString();
    }
    if (v.isNull() && nullable) {
        if (!encoding.isUndefined()) {
            error = QStringLiteral("%1 is null but %2 is given").arg(name, encodingName);
            return false;
        }
        out.reset();
        return true;
    }
    if (!v.isString()) {
        error = nullable ? QStringLiteral("%1 must be a string or null").arg(name)
                         : QStringLiteral("%1 must be a string").arg(name);
        return false;
    }
    if (how == kUtf8) {
        out = v.toString().toUtf8();
        return true;
    }
    const auto decoded = QByteArray::fromBase64Encoding(
        v.toString().toLatin1(),
        QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded) {
        error = QStringLiteral("%1 is not valid base64 (%2 says it is)").arg(name, encodingName);
        return false;
    }
    out = decoded.decoded;
    return true;
}

// A whole number in [min, max], or false with error.
bool readInteger(const QJsonValue &v, const QString &name, qint64 min, qint64 max, qint64 &out,
                 QString &error)
{
    constexpr qint64 kNotInteger = std::numeric_limits<qint64>::min();
    const qint64 n = v.isDouble() ? v.toInteger(kNotInteger) : kNotInteger;
    if (n == kNotInteger || n < min || n > max) {
        error =
            QStringLiteral("%1 must be a whole number from %2 to %3").arg(name).arg(min).arg(max);
        return false;
    }
    out = n;
    return true;
}

bool checkFields(const QJsonObject &o, const QStringList &allowed, const QString &where,
                 QString &error)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!allowed.contains(it.key())) {
            error = QStringLiteral("unknown field \"%1\"%2 (known: %3)")
                        .arg(it.key(), where, allowed.join(QStringLiteral(", ")));
            return false;
        }
    }
    return true;
}

} // namespace

std::optional<Format> formatFromName(QStringView name)
{
    if (name == u"jsonl" || name == u"json" || name == u"ndjson")
        return Format::JsonLines;
    if (name == u"csv")
        return Format::Csv;
    return std::nullopt;
}

QByteArray fileHeader(Format format)
{
    if (format == Format::Csv)
        return QByteArrayLiteral("topic,partition,offset,timestamp,time,key,keyEncoding,value,"
                                 "valueEncoding,headers\r\n");
    return {};
}

QByteArray encode(Format format, const Record &record)
{
    return format == Format::Csv ? csvLine(record) : jsonLine(record);
}

bool parseJsonLine(QByteArrayView line, Record &record, QString &error, const Limits &limits)
{
    record = Record{};
    if (line.size() > limits.maxLineBytes) {
        error = QStringLiteral("the line has %1 bytes, more than the limit of %2")
                    .arg(line.size())
                    .arg(limits.maxLineBytes);
        return false;
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(line.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        error = QStringLiteral("not JSON: %1 at byte %2")
                    .arg(parseError.errorString())
                    .arg(parseError.offset + 1);
        return false;
    }
    if (!doc.isObject()) {
        error = QStringLiteral("not a JSON object (one record per line: {\"key\":…,\"value\":…})");
        return false;
    }
    const QJsonObject o = doc.object();
    static const QStringList recordFields = {
        QStringLiteral("topic"),     QStringLiteral("partition"),     QStringLiteral("offset"),
        QStringLiteral("timestamp"), QStringLiteral("key"),           QStringLiteral("keyEncoding"),
        QStringLiteral("value"),     QStringLiteral("valueEncoding"), QStringLiteral("headers")};
    if (!checkFields(o, recordFields, QString(), error))
        return false;

    if (const QJsonValue topic = o.value(QStringLiteral("topic")); !topic.isUndefined()) {
        if (!topic.isString()) {
            error = QStringLiteral("topic must be a string");
            return false;
        }
        record.topic = topic.toString();
    }
    qint64 n = 0;
    if (const QJsonValue v = o.value(QStringLiteral("partition"));
        !v.isUndefined() && !v.isNull()) {
        if (!readInteger(v, QStringLiteral("partition"), 0,
                         std::numeric_limits<std::int32_t>::max(), n, error))
            return false;
        record.partition = std::int32_t(n);
    }
    if (const QJsonValue v = o.value(QStringLiteral("offset")); !v.isUndefined() && !v.isNull()) {
        if (!readInteger(v, QStringLiteral("offset"), 0, std::numeric_limits<qint64>::max(), n,
                         error))
            return false;
        record.offset = n;
    }
    if (const QJsonValue v = o.value(QStringLiteral("timestamp"));
        !v.isUndefined() && !v.isNull()) {
        if (!readInteger(v, QStringLiteral("timestamp"), 0, std::numeric_limits<qint64>::max(), n,
                         error))
            return false;
        record.timestamp = n;
    }
    if (!o.contains(QStringLiteral("value"))) {
        error = QStringLiteral("no \"value\" (give null for a record without a value)");
        return false;
    }
    if (!readBytes(o, QStringLiteral("value"), true, record.value, error))
        return false;
    if (o.contains(QStringLiteral("key")) || o.contains(QStringLiteral("keyEncoding"))) {
        if (!readBytes(o, QStringLiteral("key"), true, record.key, error))
            return false;
    }

    const QJsonValue headers = o.value(QStringLiteral("headers"));
    if (headers.isUndefined() || headers.isNull())
        return true;
    if (!headers.isArray()) {
        error = QStringLiteral("headers must be an array of {\"key\":…,\"value\":…}");
        return false;
    }
    const QJsonArray list = headers.toArray();
    if (list.size() > limits.maxHeaders) {
        error = QStringLiteral("%1 headers, more than the limit of %2")
                    .arg(list.size())
                    .arg(limits.maxHeaders);
        return false;
    }
    static const QStringList headerFields = {QStringLiteral("key"), QStringLiteral("keyEncoding"),
                                             QStringLiteral("value"),
                                             QStringLiteral("valueEncoding")};
    record.headers.reserve(list.size());
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString where = QStringLiteral(" in header %1").arg(i + 1);
        if (!list[i].isObject()) {
            error =
                QStringLiteral("header %1 must be an object {\"key\":…,\"value\":…}").arg(i + 1);
            return false;
        }
        const QJsonObject h = list[i].toObject();
        if (!checkFields(h, headerFields, where, error))
            return false;
        Header header;
        std::optional<QByteArray> key;
        if (!readBytes(h, QStringLiteral("key"), false, key, error) ||
            !readBytes(h, QStringLiteral("value"), true, header.value, error)) {
            error += where;
            return false;
        }
        header.key = *key;
        record.headers.append(std::move(header));
    }
    return true;
}

JsonLinesReader::JsonLinesReader(QIODevice *device, Limits limits)
    : m_device(device), m_limits(limits)
{
}

bool JsonLinesReader::readLine(QByteArray &line, bool &tooLong)
{
    // Lines are cut from a buffer filled a chunk at a time: QIODevice::readLine(max) would
    // allocate the whole maximum for every line, and readLine() without one is unbounded.
    constexpr qint64 kChunk = 64 * 1024;
    tooLong = false;
    for (;;) {
        const qsizetype newline = m_buffer.indexOf('\n', m_scan);
        if (newline >= 0) {
            line = m_buffer.mid(m_pos, newline + 1 - m_pos);
            m_pos = m_scan = newline + 1;
            return true;
        }
        m_scan = m_buffer.size();
        if (m_buffer.size() - m_pos > m_limits.maxLineBytes + 2) {
            tooLong = true;
            return true;
        }
        if (m_pos > 0) { // drop what was read before, once per chunk
            m_buffer.remove(0, m_pos);
            m_scan -= m_pos;
            m_pos = 0;
        }
        const qsizetype had = m_buffer.size();
        m_buffer.resize(had + kChunk);
        const qint64 got = m_device->read(m_buffer.data() + had, kChunk);
        m_buffer.resize(had + qMax<qint64>(got, 0));
        if (got < 0) {
            m_error = QStringLiteral("line %1: cannot read: %2")
                          .arg(m_line + 1)
                          .arg(m_device->errorString());
            return false;
        }
        if (got == 0) { // the end: a last line without a line end, or nothing
            if (m_buffer.isEmpty())
                return false;
            line = m_buffer;
            m_buffer.clear();
            m_pos = m_scan = 0;
            return true;
        }
    }
}

JsonLinesReader::Status JsonLinesReader::next(Record &record)
{
    if (!m_error.isEmpty())
        return Status::Error;
    QByteArray line;
    bool tooLong = false;
    for (;;) {
        if (!readLine(line, tooLong))
            return m_error.isEmpty() ? Status::End : Status::Error;
        ++m_line;
        if (line.endsWith('\n'))
            line.chop(1);
        if (line.endsWith('\r'))
            line.chop(1);
        if (tooLong || line.size() > m_limits.maxLineBytes) {
            m_error = QStringLiteral("line %1: longer than the limit of %2 bytes")
                          .arg(m_line)
                          .arg(m_limits.maxLineBytes);
            return Status::Error;
        }
        if (line.trimmed().isEmpty())
            continue;
        QString error;
        if (!parseJsonLine(line, record, error, m_limits)) {
            m_error = QStringLiteral("line %1: %2").arg(m_line).arg(error);
            m_skippable = true;
            return Status::Error;
        }
        return Status::Record;
    }
}

bool JsonLinesReader::skipBadLine()
{
    if (!m_skippable)
        return false;
    m_skippable = false;
    m_error.clear();
    return true;
}

} // namespace rivulet::recordfile
