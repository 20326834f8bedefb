#pragma once

#include <QString>
#include <QStringList>

class QComboBox;

namespace rivulet {

struct TopicChoice
{
    bool changed = false; // the box held other names
    QString deleted;      // the chosen topic, when it is no longer among the names
};

// Puts the topic names into box (its signals blocked), keeping the chosen topic chosen. When
// the chosen topic is gone (deleted here or by another client), nothing is chosen: a dialog
// must never write to, nor the browser show, another topic than the one the user picked
// (the first topic used to take its place unannounced). With nothing chosen before, the
// first name is chosen when pickFirst is set.
TopicChoice setTopicNames(QComboBox &box, const QStringList &names, bool pickFirst = true);

} // namespace rivulet
