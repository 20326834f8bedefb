#pragma once

#include <QString>

namespace rivulet {

// The README that Help → Open documentation opens: the installed one
// (<prefix>/share/doc/rivulet/README.md, found from the executable's directory, so it works
// for any prefix), else the source tree's for a build run from build/bin. Empty when
// neither exists.
QString documentationFile(const QString &applicationDir);

// Where documentationFile() looks, in order (for the message when nothing is found).
QStringList documentationCandidates(const QString &applicationDir);

} // namespace rivulet
