#include "appidentity.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QSettings>
#include <QStandardPaths>

void setApplicationIdentity()
{
    // With an organisation of the same name QSettings keeps the file in a directory of its
    // own, the XDG convention; with none it used "Unknown Organization".
    QCoreApplication::setOrganizationName(QStringLiteral("rivulet"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("rivulet.github.io"));
    QCoreApplication::setApplicationName(QStringLiteral("rivulet"));
    QCoreApplication::setApplicationVersion(QStringLiteral(RIVULET_VERSION));
    // a static setter: harmless in --headless, where there is no QGuiApplication
    QGuiApplication::setDesktopFileName(QString::fromLatin1(kDesktopFileId));
}

QString migrateOldSettings()
{
    const QString configHome =
        QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    const QString oldDir = configHome + QStringLiteral("/Unknown Organization");
    const QString oldFile =
        oldDir + QLatin1Char('/') + QCoreApplication::applicationName() + QStringLiteral(".conf");
    if (!QFileInfo::exists(oldFile))
        return {};
    const QString newFile = QSettings().fileName();
    if (QFileInfo::exists(newFile))
        return {}; // moved before, or written since: the new file wins
    if (!QDir().mkpath(QFileInfo(newFile).absolutePath()))
        return QStringLiteral("cannot create %1 to move the settings from %2 there")
            .arg(QFileInfo(newFile).absolutePath(), oldFile);
    // rename within $XDG_CONFIG_HOME; a copy when it spans file systems (a bind mount)
    if (!QFile::rename(oldFile, newFile)) {
        if (!QFile::copy(oldFile, newFile))
            return QStringLiteral("cannot move the settings from %1 to %2").arg(oldFile, newFile);
        QFile::remove(oldFile);
    }
    QDir().rmdir(oldDir); // only when nothing else lives there
    return QStringLiteral("moved the settings from %1 to %2").arg(oldFile, newFile);
}
