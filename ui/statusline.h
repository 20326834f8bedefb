#pragma once

#include <QStringList>
#include <QWidget>

class QHBoxLayout;
class QLabel;
class QTimer;
class QToolButton;

namespace rivulet {

class ElidedLabel;

// The status bar's content: where the broker listens (and a button to copy it), where its
// data lives, the totals, and anything wrong — a listener that is not listening, with a
// way to pick another port. The addresses and the totals are always shown whole: when one
// line cannot hold both, the totals go to a second line, and the line's minimum width keeps
// each of them readable. The data location, passing notes and problems give way instead
// (elided, whole in their tooltips); a note takes the data location's place while shown.
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
    // What the address label says when there are no listeners (a cluster's name and
    // bootstrap servers).
    void setSource(const QString &source);
    // The source cannot be reached ("… unreachable since …"), shown with the listeners'
    // problems; empty when it answers.
    void setSourceProblem(const QString &problem);
    // The Copy button beside the addresses (only with a native listener).
    void setCopyShown(bool shown);
    void setDataLocation(const QString &location);
    void setTotals(const QString &totals);
    // A passing remark ("Copied …") shown for a few seconds.
    void showNote(const QString &note, int ms = 4000);

    QLabel *addressLabel() const { return m_addresses; }
    QLabel *totalsLabel() const { return m_totals; }
    QLabel *problemLabel() const;
    QToolButton *pickPortButton() const { return m_pickPort; }
    bool isTwoLines() const { return m_twoLines; }

Q_SIGNALS:
    void copyAddressRequested();
    void pickPortRequested();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    // The width one line needs to hold everything that must stay whole.
    int oneLineWidth() const;
    void arrange();
    void showProblems();

    QLabel *m_addresses;
    QToolButton *m_copy;
    ElidedLabel *m_data;
    ElidedLabel *m_note;
    QTimer *m_noteTimer;
    ElidedLabel *m_problem;
    QToolButton *m_pickPort;
    QLabel *m_totals;
    QHBoxLayout *m_top;
    QHBoxLayout *m_bottom;
    bool m_twoLines = false;
    bool m_copyShown = true;
    QString m_source;
    QStringList m_listenerProblems;
    QString m_sourceProblem;
};

} // namespace rivulet
