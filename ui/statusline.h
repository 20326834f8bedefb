#pragma once

#include <QWidget>

class QLabel;
class QTimer;
class QToolButton;

namespace rivulet {

// The status bar's content: where the broker listens (and a button to copy it), where its
// data lives, the totals, and anything wrong — a listener that is not listening, with a
// way to pick another port.
class StatusLine : public QWidget
{
    Q_OBJECT
public:
    struct Listener
    {
        QString protocol;
        QString address; // host:port
        QString problem; // empty when listening
    };

    explicit StatusLine(QWidget *parent = nullptr);

    void setListeners(const QList<Listener> &listeners);
    void setDataLocation(const QString &location);
    void setTotals(const QString &totals);
    // A passing remark ("Copied …") shown for a few seconds.
    void showNote(const QString &note, int ms = 4000);

    QLabel *addressLabel() const { return m_addresses; }
    QLabel *problemLabel() const { return m_problem; }
    QToolButton *pickPortButton() const { return m_pickPort; }

Q_SIGNALS:
    void copyAddressRequested();
    void pickPortRequested();

private:
    QLabel *m_addresses;
    QLabel *m_data;
    QLabel *m_totals;
    QLabel *m_note;
    QTimer *m_noteTimer;
    QLabel *m_problem;
    QToolButton *m_pickPort;
};

} // namespace rivulet
