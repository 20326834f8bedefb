// MainWindow's Broker → Connect… (issue 13): the Connections dialog, whose choice goes out as
// connectRequested for the application to open a window on it.
#include "connectionsdialog.h"
#include "mainwindow.h"

namespace rivulet {

ConnectionsDialog *MainWindow::openConnections()
{
    if (m_connections) {
        m_connections->raise();
        m_connections->activateWindow();
        return m_connections;
    }
    auto *dialog = new ConnectionsDialog(m_localConnection, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ConnectionsDialog::connectRequested, this, &MainWindow::connectRequested);
    m_connections = dialog;
    dialog->open();
    return dialog;
}

} // namespace rivulet
