#include "documentation.h"

#include <QDir>
#include <QFileInfo>
#include <QStringList>

namespace rivulet {

QStringList documentationCandidates(const QString &applicationDir)
{
    // RIVULET_DOCS_FROM_BIN: the docs directory relative to the binaries' (GNUInstallDirs),
    // RIVULET_SOURCE_DIR: this source tree (ui/CMakeLists.txt)
    return {QDir::cleanPath(
                QDir(applicationDir).filePath(QStringLiteral(RIVULET_DOCS_FROM_BIN "/README.md"))),
            QStringLiteral(RIVULET_SOURCE_DIR "/README.md")};
}

QString documentationFile(const QString &applicationDir)
{
    for (const QString &file : documentationCandidates(applicationDir))
        if (QFileInfo(file).isFile())
            return file;
    return {};
}

} // namespace rivulet
