// MainWindow's Help menu: Open documentation and About.
#include "aboutdialog.h"
#include "documentation.h"
#include "mainwindow.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QSettings>
#include <QUrl>

namespace rivulet {

AboutDialog *MainWindow::openAbout()
{
    AboutDialog::Info info;
    info.listeners = listenerStates();
    info.source = m_info;
    info.settingsPath = QSettings().fileName();
    info.documentation = documentationFile(QCoreApplication::applicationDirPath());
    auto *dialog = new AboutDialog(info, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

void MainWindow::openDocumentation()
{
    const QString appDir = QCoreApplication::applicationDirPath();
    const QString file = documentationFile(appDir);
    if (file.isEmpty()) {
        showProblem(tr("No documentation"),
                    tr("The README is not installed; looked for:\n%1")
                        .arg(documentationCandidates(appDir).join(QLatin1Char('\n'))));
        return;
    }
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(file)))
        showProblem(tr("Cannot open the documentation"),
                    tr("No application opened %1 (is xdg-open set up?).").arg(file));
}

} // namespace rivulet
