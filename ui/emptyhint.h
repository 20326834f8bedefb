#pragma once

#include <QObject>
#include <QString>

class QAbstractItemView;

namespace rivulet {

// Draws a line of help in an item view while its model has no rows ("No topics yet: …"),
// so that a new user sees what to do instead of a blank table.
class EmptyHint : public QObject
{
    Q_OBJECT
public:
    // Installs the hint, or changes the text of the one installed.
    static void install(QAbstractItemView *view, const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    EmptyHint(QAbstractItemView *view, QString text);

    QAbstractItemView *m_view;
    QString m_text;
};

} // namespace rivulet
