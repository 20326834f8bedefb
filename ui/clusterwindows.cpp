#include "clusterwindows.h"

#include "kafkasettings.h"
#include "kafkasource.h"
#include "mainwindow.h"
#include "offthread.h"

#include <QMessageBox>

#include <memory>
#include <utility>

namespace rivulet {

namespace {

// Keeps a window's source alive as long as the window: a child made after the window is
// built is the last one its QWidget destructor deletes, after the window's own members (the
// thread pools that may still be reading the source, waited for there) and after the child
// widgets (whose pools may read it too).
class SourceHolder : public QObject
{
public:
    SourceHolder(std::unique_ptr<ClusterSource> source, QObject *parent)
        : QObject(parent), m_source(std::move(source))
    {
    }

private:
    std::unique_ptr<ClusterSource> m_source;
};

struct LoadedSettings
{
    bool ok = false;
    KafkaSettings settings;
    QString error;
};

} // namespace

ClusterWindows::ClusterWindows(SavedConnection local, MainWindow *home, QObject *parent)
    : QObject(parent), m_local(std::move(local)), m_home(home)
{
    if (home)
        adopt(home);
}

ClusterWindows::~ClusterWindows()
{
    m_files.waitForDone();
    // a window going takes itself out of m_windows (destroyed): delete from a copy
    const QList<QPointer<MainWindow>> windows = std::exchange(m_windows, {});
    for (const QPointer<MainWindow> &window : windows)
        delete window.data();
}

MainWindow *ClusterWindows::open(const KafkaSettings &settings, const QString &name, QString &error)
{
    std::unique_ptr<KafkaSource> source = KafkaSource::open(settings, name, error);
    if (!source)
        return nullptr;
    ClusterSource &shown = *source;
    auto *window = new MainWindow(shown);
    new SourceHolder(std::move(source), window);
    window->setAttribute(Qt::WA_DeleteOnClose);
    if (m_refreshMs > 0)
        window->setRefreshIntervalMs(m_refreshMs);
    adopt(window);
    m_windows.append(window);
    connect(window, &QObject::destroyed, this, [this] {
        m_windows.removeIf([](const QPointer<MainWindow> &w) { return w.isNull(); });
    });
    window->show();
    Q_EMIT windowOpened(window);
    return window;
}

void ClusterWindows::adopt(MainWindow *window)
{
    window->setLocalConnection(m_local);
    connect(window, &MainWindow::connectRequested, this,
            [this, guard = QPointer<MainWindow>(window)](const SavedConnection &connection) {
                openConnection(connection, guard);
            });
}

void ClusterWindows::openConnection(const SavedConnection &connection, QWidget *from)
{
    if (connection.inProcess) {
        if (m_home) {
            m_home->show();
            m_home->raise();
            m_home->activateWindow();
        }
        return;
    }
    runOffGuiThread(
        m_files, this,
        [connection] {
            LoadedSettings loaded;
            loaded.ok = kafkaSettingsFor(connection, loaded.settings, loaded.error);
            return loaded;
        },
        [this, connection, from = QPointer<QWidget>(from)](LoadedSettings loaded) {
            QString error = loaded.error;
            if (loaded.ok && open(loaded.settings, connection.name, error))
                return;
            Q_EMIT openFailed(error);
            auto *box = new QMessageBox(QMessageBox::Warning, tr("Cannot connect — Rivulet"),
                                        tr("Cannot open %1: %2").arg(connection.name, error),
                                        QMessageBox::Ok, from.data());
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        });
}

QList<MainWindow *> ClusterWindows::windows() const
{
    QList<MainWindow *> open;
    for (const QPointer<MainWindow> &window : m_windows)
        if (window)
            open.append(window);
    return open;
}

} // namespace rivulet
