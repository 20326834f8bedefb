// MainWindow's actions on a topic (the topics tree's context menu and the Topic menu):
// delete, settings (retention, partitions, purge) and Import records…. Whatever writes
// metadata or the log runs on m_tasks, off the GUI thread.
#include "mainwindow.h"

#include "deletetopicdialog.h"
#include "importdialog.h"
#include "offthread.h"
#include "statusline.h"
#include "topicsettingsdialog.h"
#include "topicsmodel.h"
#include "topicspanel.h"

#include <QMessageBox>
#include <QPointer>

namespace rivulet {
namespace {

// The topic in the copy of the source the window shows, or nullptr.
const TopicSnapshot *findTopic(const std::shared_ptr<const RefreshData> &data, const QString &name)
{
    return data ? data->findTopic(name) : nullptr;
}

} // namespace

void MainWindow::deleteTopic(const QString &topic)
{
    auto run = [this, topic] {
        ClusterSource *source = &m_source;
        const QByteArray name = topic.toUtf8();
        runOffGuiThread(
            m_tasks, this,
            [source, name] {
                QString error;
                return source->deleteTopic(name, error) ? QString() : error;
            },
            [this, topic](const QString &error) {
                refresh();
                if (error.isEmpty())
                    m_statusLine->showNote(tr("Deleted topic %1").arg(topic));
                else
                    showProblem(tr("Delete topic — Rivulet"), error);
            });
    };
    // what it holds now, not at the last tick: a topic just written to must not pass for empty
    refresh();
    std::int64_t messages = 0;
    if (const TopicSnapshot *t = findTopic(m_lastRefresh, topic))
        for (const PartitionSnapshot &p : t->partitions)
            messages += p.stats.endOffset - p.stats.startOffset - p.stats.markers;
    if (messages <= 0) {
        confirm(QMessageBox::Warning, tr("Delete topic — Rivulet"),
                tr("Delete the empty topic %1?").arg(topic), tr("Delete"), run);
        return;
    }
    auto *ask = new DeleteTopicDialog(topic, messages, this);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    connect(ask, &QDialog::accepted, this, run);
    ask->open();
}

TopicSettingsDialog *MainWindow::openTopicSettings(const QString &topic)
{
    refresh(); // the offsets of now, not of the last tick
    const TopicSnapshot *t = findTopic(m_lastRefresh, topic);
    if (!t) {
        showProblem(tr("Topic settings — Rivulet"), tr("There is no topic %1.").arg(topic));
        return nullptr;
    }
    auto *dialog = new TopicSettingsDialog(m_source, m_tasks, *t, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(this, &MainWindow::refreshed, dialog, [this, dialog] {
        if (const TopicSnapshot *now = findTopic(m_lastRefresh, dialog->topic()))
            dialog->setOffsets(*now);
    });
    connect(dialog, &TopicSettingsDialog::changed, this,
            [this](const QString &name, const QString &summary) {
                refresh(); // the tree's counts at once
                m_statusLine->showNote(tr("%1: %2").arg(name, summary));
            });
    dialog->open();
    return dialog;
}

ImportDialog *MainWindow::openImport(const QString &topic)
{
    if (!m_import) {
        m_import = new ImportDialog(m_source, m_tasks, this);
        m_import->setPartitionCountLookup(
            [this](const QString &t) { return partitionCountNow(t); });
        connect(m_import, &ImportDialog::imported, this, [this](const QString &name, qint64 n) {
            refresh();
            m_statusLine->showNote(tr("Imported %1 records into %2").arg(n).arg(name));
        });
    }
    m_import->setTopics(m_topics->topicNames());
    if (!topic.isEmpty())
        m_import->setTopic(topic);
    m_import->show();
    m_import->raise();
    m_import->activateWindow();
    return m_import;
}

} // namespace rivulet
