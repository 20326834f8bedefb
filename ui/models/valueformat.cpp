#include "valueformat.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QStringDecoder>

namespace rivulet::valueformat {
namespace {

QString decodeUtf8(QByteArrayView bytes, bool &ok)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = decoder(bytes);
    ok = !decoder.hasError();
    return text;
}

bool hasControlCharacters(QByteArrayView bytes)
{
    for (char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t' && u != '\n' && u != '\r') || u == 0x7f)
            return true;
    }
    return false;
}

// Re-indents JSON that is known to be valid, keeping its keys in their order and its
// numbers and strings exactly as written (QJsonDocument would sort keys and round
// numbers through double).
QString reindentJson(QByteArrayView json)
{
    QByteArray out;
    out.reserve(json.size() * 2);
    int depth = 0;
    bool inString = false;
    auto newline = [&] {
        out += '\n';
        out += QByteArray(depth * 4, ' ');
    };
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (inString) {
            out += c;
            if (c == '\\' && i + 1 < json.size())
                out += json[++i];
            else if (c == '"')
                inString = false;
            continue;
        }
        switch (c) {
        case '"':
            inString = true;
            out += c;
            break;
        case '{':
        case '[': {
            out += c;
            qsizetype next = i + 1;
            while (next < json.size() && QChar::isSpace(uchar(json[next])))
                ++next;
            if (next < json.size() && (json[next] == '}' || json[next] == ']')) {
                out += json[next]; // an empty container stays on its line
                i = next;
            } else {
                ++depth;
                newline();
            }
            break;
        }
        case '}':
        case ']':
            --depth;
            newline();
            out += c;
            break;
        case ',':
            out += c;
            newline();
            break;
        case ':':
            out += ": ";
            break;
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        default:
            out += c;
        }
    }
    return QString::fromUtf8(out);
}

} // namespace

bool isText(QByteArrayView bytes)
{
    bool ok = false;
    decodeUtf8(bytes, ok);
    return ok && !hasControlCharacters(bytes);
}

QString preview(QByteArrayView bytes, int maxChars)
{
    if (bytes.isEmpty())
        return {};
    const QByteArrayView head =
        bytes.first(std::min<qsizetype>(bytes.size(), qsizetype(maxChars) * 4));
    // stateful: a character cut at the end of head waits for more bytes instead of failing
    QStringDecoder decoder(QStringDecoder::Utf8);
    QString text = decoder(head);
    if (!decoder.hasError() && !hasControlCharacters(head)) {
        text.replace(QLatin1String("\r\n"), QStringLiteral(" ⏎ "));
        text.replace(QLatin1Char('\n'), QStringLiteral(" ⏎ "));
        text.replace(QLatin1Char('\r'), QStringLiteral(" ⏎ "));
        text.replace(QLatin1Char('\t'), QLatin1Char(' '));
        if (text.size() > maxChars || head.size() < bytes.size())
            return text.left(maxChars) + QStringLiteral("…");
        return text;
    }
    const qsizetype shown = std::min<qsizetype>(bytes.size(), maxChars / 3);
    QString hex = QString::fromLatin1(bytes.first(shown).toByteArray().toHex(' '));
    return shown < bytes.size() ? hex + QStringLiteral(" …") : hex;
}

QString hexDump(QByteArrayView bytes)
{
    QString out;
    out.reserve(bytes.size() * 4 + 16);
    for (qsizetype line = 0; line < bytes.size(); line += 16) {
        const qsizetype n = std::min<qsizetype>(16, bytes.size() - line);
        out += QStringLiteral("%1  ").arg(line, 8, 16, QLatin1Char('0'));
        for (qsizetype i = 0; i < 16; ++i) {
            if (i < n)
                out += QStringLiteral("%1 ").arg(static_cast<unsigned char>(bytes[line + i]), 2, 16,
                                                 QLatin1Char('0'));
            else
                out += QLatin1String("   ");
            if (i == 7)
                out += QLatin1Char(' ');
        }
        out += QLatin1String(" |");
        for (qsizetype i = 0; i < n; ++i) {
            const auto c = static_cast<unsigned char>(bytes[line + i]);
            out += c >= 0x20 && c < 0x7f ? QLatin1Char(char(c)) : QLatin1Char('.');
        }
        out += QLatin1String("|\n");
    }
    return out;
}

Rendered render(QByteArrayView bytes, View requested)
{
    Rendered r;
    if (requested == View::Auto || requested == View::Json) {
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(bytes.toByteArray(), &error);
        if (error.error == QJsonParseError::NoError && !doc.isNull()) {
            r.text = reindentJson(bytes);
            r.view = View::Json;
            return r;
        }
        if (requested == View::Json)
            r.problem = QStringLiteral("not JSON: %1 at byte %2")
                            .arg(error.errorString())
                            .arg(error.offset);
    }
    const bool text = isText(bytes);
    if (requested == View::Text || (requested != View::Hex && text)) {
        bool ok = false;
        r.text = decodeUtf8(bytes, ok);
        r.view = View::Text;
        if (!ok && r.problem.isEmpty())
            r.problem = QStringLiteral("not valid UTF-8: undecodable bytes shown as �");
        if (ok || requested == View::Text)
            return r;
    }
    if (requested == View::Auto && !text && r.problem.isEmpty())
        r.problem = QStringLiteral("binary: not UTF-8 text");
    r.text = hexDump(bytes);
    r.view = View::Hex;
    return r;
}

} // namespace rivulet::valueformat
