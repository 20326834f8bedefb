#pragma once

#include "clustersource.h"
#include "statusline.h"

#include <QDialog>
#include <QIcon>
#include <QList>
#include <QString>

class QLabel;

namespace rivulet {

// Rivulet's icon at every size rendered from resources/rivulet.svg, from the Qt resources
// compiled into the rivulet executable (resources/rivulet.qrc). Null when the executable
// was linked without them (the test programs).
QIcon applicationIcon();

// Help → About: the version, what the window shows (the broker in this process: where it
// listens and keeps its data; a cluster: its name and bootstrap servers), where the window
// keeps its settings, and the libraries Rivulet is built on with their licences.
class AboutDialog : public QDialog
{
    Q_OBJECT
public:
    struct Info
    {
        SourceInfo source; // its dataPath empty: in memory (in-process)
        QList<StatusLine::Listener> listeners;
        QString settingsPath;
        QString documentation; // the README that Help → Open documentation opens; may be empty
    };

    explicit AboutDialog(const Info &info, QWidget *parent = nullptr);

    // The text shown (rich text), for tests.
    QString text() const;

private:
    QLabel *m_text;
};

} // namespace rivulet
