// MainWindow's actions on consumers (the consumers table's context menu): reset a Kafka
// group's offsets, delete a group, forget a native consumer's position. Each is a brief
// lock in the broker, so it runs on the GUI thread; destructive ones ask first.
#include "mainwindow.h"

#include "kafka/protocol.h"
#include "modelroles.h"
#include "resetoffsetsdialog.h"
#include "statusline.h"

#include <QApplication>
#include <QClipboard>
#include <QMenu>
#include <QMessageBox>

namespace rivulet {

QMenu *MainWindow::consumerMenu(const QModelIndex &index)
{
    auto *menu = new QMenu(this);
    if (!index.isValid())
        return menu;
    const QByteArray key = index.data(ConsumerKeyRole).toByteArray();
    const QString name = QString::fromUtf8(key);
    const QString topic = index.data(TopicNameRole).toString();
    const int partition = index.data(PartitionRole).toInt();
    if (index.data(KafkaGroupRole).toBool()) {
        const bool members = index.data(ConnectedRole).toBool();
        QMenu *reset = menu->addMenu(tr("Reset offsets of %1 on %2").arg(name, topic));
        reset->menuAction()->setEnabled(!members);
        if (members)
            reset->setTitle(tr("Reset offsets of %1 (stop its consumers first)").arg(name));
        // asked first, as Kafka's tools do: the group's consumers start from there
        auto confirmed = [this, key, name, topic](Broker::ResetTo to, const QString &where) {
            confirm(QMessageBox::Question, tr("Reset offsets — Rivulet"),
                    tr("Move the offsets of group %1 on every partition of %2 to %3? Its "
                       "consumers read from there when they next start.")
                        .arg(name, topic, where),
                    tr("Reset"), [this, key, topic, to] { resetGroupOffsets(key, topic, to); });
        };
        reset->addAction(tr("To the earliest"), this, [confirmed, this] {
            confirmed(Broker::ResetTo::Earliest, tr("the earliest message still stored"));
        });
        reset->addAction(tr("To the latest"), this, [confirmed, this] {
            confirmed(Broker::ResetTo::Latest, tr("the end (skipping everything stored)"));
        });
        reset->addAction(tr("To offsets…"), this,
                         [this, key, topic] { askGroupOffsets(key, topic); });
        menu->addAction(members ? tr("Delete group %1 (stop its consumers first)").arg(name)
                                : tr("Delete group %1…").arg(name),
                        this, [this, key] { deleteGroup(key); })
            ->setEnabled(!members);
    } else {
        // a connected consumer's next read would bring the row straight back
        const bool connected = index.data(ConnectedRole).toBool();
        menu->addAction(
                connected ? tr("Forget %1's position in %2[%3] (it is still connected)")
                                .arg(name, topic)
                                .arg(partition)
                          : tr("Forget %1's position in %2[%3]").arg(name, topic).arg(partition),
                this, [this, key, topic, partition] { forgetConsumer(topic, partition, key); })
            ->setEnabled(!connected);
    }
    menu->addSeparator();
    menu->addAction(tr("Copy name"), this, [name] { QApplication::clipboard()->setText(name); });
    return menu;
}

bool MainWindow::resetGroupOffsets(const QByteArray &group, const QString &topic,
                                   Broker::ResetTo to, qint64 offset)
{
    QString error;
    if (!m_broker.resetGroupOffsets(group, topic.toUtf8(), to, offset, error)) {
        showProblem(tr("Reset offsets — Rivulet"), error);
        return false;
    }
    refresh();
    m_statusLine->showNote(
        tr("Reset the offsets of %1 on %2").arg(QString::fromUtf8(group), topic));
    return true;
}

void MainWindow::askGroupOffsets(const QByteArray &group, const QString &topic)
{
    const auto t = m_broker.topics().find(topic.toUtf8());
    if (!t) {
        showProblem(tr("Reset offsets — Rivulet"), tr("There is no topic %1 any more.").arg(topic));
        return;
    }
    std::vector<ResetOffsetsDialog::PartitionRange> partitions;
    for (int i = 0; i < t->partitionCount(); ++i) {
        const Partition *p = t->partition(i);
        const auto committed = m_broker.groups().committed(group, t->name().toUtf8(), i);
        partitions.push_back(
            {i, committed ? committed->offset : -1, p->startOffset(), p->endOffset()});
    }
    auto *dialog =
        new ResetOffsetsDialog(QString::fromUtf8(group), topic, std::move(partitions), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, group, topic] {
        QString error;
        if (!m_broker.resetGroupOffsets(group, topic.toUtf8(), dialog->offsets(), error)) {
            showProblem(tr("Reset offsets — Rivulet"), error);
            return;
        }
        refresh();
        m_statusLine->showNote(
            tr("Reset the offsets of %1 on %2").arg(QString::fromUtf8(group), topic));
    });
    dialog->open();
}

void MainWindow::deleteGroup(const QByteArray &group)
{
    const QString name = QString::fromUtf8(group);
    confirm(QMessageBox::Warning, tr("Delete group — Rivulet"),
            tr("Delete consumer group %1 and its committed offsets?").arg(name), tr("Delete"),
            [this, group, name] {
                switch (m_broker.groups().deleteGroup(group)) {
                case kafka::error::None:
                    refresh();
                    m_statusLine->showNote(tr("Deleted consumer group %1").arg(name));
                    break;
                case kafka::error::NonEmptyGroup:
                    showProblem(tr("Delete group — Rivulet"),
                                tr("Group %1 has members: stop its consumers first.").arg(name));
                    break;
                default:
                    refresh();
                    showProblem(tr("Delete group — Rivulet"),
                                tr("There is no group %1.").arg(name));
                }
            });
}

bool MainWindow::forgetConsumer(const QString &topic, int partition, const QByteArray &consumer)
{
    if (!m_broker.forgetConsumer(topic.toUtf8(), partition, consumer)) {
        showProblem(tr("Forget position — Rivulet"), tr("%1 has no position in %2[%3] any more.")
                                                         .arg(QString::fromUtf8(consumer), topic)
                                                         .arg(partition));
        return false;
    }
    refresh();
    return true;
}

} // namespace rivulet
