#include "topicchoice.h"

#include <QComboBox>
#include <QSignalBlocker>

namespace rivulet {

TopicChoice setTopicNames(QComboBox &box, const QStringList &names, bool pickFirst)
{
    TopicChoice result;
    QStringList shown;
    shown.reserve(box.count());
    for (int i = 0; i < box.count(); ++i)
        shown << box.itemText(i);
    if (shown == names)
        return result;
    result.changed = true;
    const QString current = box.currentText();
    if (!current.isEmpty() && !names.contains(current))
        result.deleted = current;
    const QSignalBlocker block(&box);
    box.clear();
    box.addItems(names);
    int index = int(names.indexOf(current));
    if (index < 0 && current.isEmpty() && pickFirst && !names.isEmpty())
        index = 0;
    box.setCurrentIndex(index);
    return result;
}

} // namespace rivulet
