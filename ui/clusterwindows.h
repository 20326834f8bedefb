#pragma once

#include "connectionstore.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QThreadPool>

namespace rivulet {

class MainWindow;
struct KafkaSettings;

// The windows on Kafka clusters that `rivulet --connect` and Broker → Connect… open (issue
// 13). Each owns its KafkaSource (deleted after the window, once nothing of the window can
// still be using it) and deletes itself when closed; every window adopted here opens the
// connections its Connections dialog hands on through this. Windows still open when this
// goes are closed and deleted with it.
class ClusterWindows : public QObject
{
    Q_OBJECT
public:
    // local: the first entry of the Connections dialogs ("This machine's broker"). home: the
    // window on the broker in this process, raised when that entry is chosen; null in a
    // --connect process (whose first entry is a Kafka connection, 127.0.0.1:9092).
    explicit ClusterWindows(SavedConnection local, MainWindow *home = nullptr,
                            QObject *parent = nullptr);
    ~ClusterWindows() override;

    // A window on the cluster, shown; null with error when librdkafka refuses the settings
    // (nothing is asked of the network here: the window's first refresh connects, and the
    // status bar says "connecting…" until then).
    MainWindow *open(const KafkaSettings &settings, const QString &name, QString &error);
    // What a Connections dialog chose: the broker in this process raises home; a Kafka
    // connection has its properties file read off the GUI thread and then gets a window.
    // What goes wrong is said in a message box over from (and by openFailed).
    void openConnection(const SavedConnection &connection, QWidget *from = nullptr);
    // Lets window's Connect… open its choices through this.
    void adopt(MainWindow *window);

    // The cluster windows open now.
    QList<MainWindow *> windows() const;
    // The refresh interval of the windows opened from now on (0: the window's own default).
    void setRefreshIntervalMs(int ms) { m_refreshMs = ms; }

Q_SIGNALS:
    void windowOpened(rivulet::MainWindow *window);
    void openFailed(const QString &error);

private:
    SavedConnection m_local;
    QPointer<MainWindow> m_home;
    QList<QPointer<MainWindow>> m_windows;
    // reads properties files; waited for when this goes
    QThreadPool m_files;
    int m_refreshMs = 0;
};

} // namespace rivulet
