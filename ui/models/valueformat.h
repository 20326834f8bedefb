#pragma once

#include <QByteArrayView>
#include <QString>

// How the message browser shows bytes: text when they are readable UTF-8, pretty-printed
// JSON when they parse, a hex dump otherwise.
namespace rivulet::valueformat {

enum class View
{
    Auto,
    Text,
    Json,
    Hex
};

// Valid UTF-8 without control characters other than tab, CR and LF.
bool isText(QByteArrayView bytes);
// One line for a table cell: the text with line breaks shown as ⏎, or hex bytes.
QString preview(QByteArrayView bytes, int maxChars = 160);

struct Rendered
{
    QString text;
    View view = View::Text; // what was shown (Auto resolves to one of the others)
    QString problem;        // why the requested view was not possible, e.g. not valid JSON
};
Rendered render(QByteArrayView bytes, View requested);
// "00000000  7b 22 61 22 3a 31 7d  |{"a":1}|"
QString hexDump(QByteArrayView bytes);

} // namespace rivulet::valueformat
