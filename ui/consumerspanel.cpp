#include "consumerspanel.h"

#include "askuser.h"
#include "columnfit.h"
#include "consumerdelegate.h"
#include "consumersmodel.h"
#include "datatable.h"
#include "emptyhint.h"
#include "groupmembersmodel.h"
#include "modelroles.h"
#include "offthread.h"
#include "resetoffsetsdialog.h"

#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace rivulet {

ConsumersPanel::ConsumersPanel(ClusterSource &source, QThreadPool &tasks, QWidget *parent)
    : QWidget(parent), m_source(source), m_tasks(tasks), m_model(new ConsumersModel(this)),
      m_members(new GroupMembersModel(this)), m_proxy(new QSortFilterProxyModel(this)),
      m_summary(new QLabel(this)), m_splitter(new QSplitter(Qt::Vertical, this))
{
    m_proxy->setSourceModel(m_model);
    m_view = makeDataTable(m_proxy, this);
    m_view->setObjectName(QStringLiteral("consumers"));
    m_view->setItemDelegate(new ConsumerDelegate(m_view));
    m_view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_view, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const std::unique_ptr<QMenu> menu(consumerMenu(m_view->indexAt(pos)));
        if (!menu->isEmpty())
            menu->exec(m_view->viewport()->mapToGlobal(pos));
    });
    const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    const int widths[ConsumersModel::ColumnCount] = {16, 10, 14, 8, 10, 10, 10, 8, 20, 9, 16};
    for (int c = 0; c < ConsumersModel::ColumnCount; ++c)
        m_view->setColumnWidth(c, digit * widths[c] + 12);
    fitColumnsToValues(m_view, m_view->horizontalHeader(),
                       {ConsumersModel::NextOffset, ConsumersModel::EndOffset, ConsumersModel::Lag,
                        ConsumersModel::Rate});
    // a cluster has Kafka consumer groups only: no native client to mention
    EmptyHint::install(m_view,
                       source.hasNativeConsumers()
                           ? tr("No consumers yet.\n\nA native client that reads (rivulet-cli "
                                "consume TOPIC --consumer NAME) or a Kafka consumer group that "
                                "joins or commits offsets shows up here with its lag.")
                           : tr("No consumer groups yet.\n\nA Kafka consumer group that joins or "
                                "commits offsets shows up here with its lag."));

    auto *membersProxy = new QSortFilterProxyModel(this);
    membersProxy->setSourceModel(m_members);
    m_membersView = makeDataTable(membersProxy, this);
    m_membersView->setObjectName(QStringLiteral("members"));
    const int memberWidths[GroupMembersModel::ColumnCount] = {46, 16, 16, 30, 10};
    for (int c = 0; c < GroupMembersModel::ColumnCount; ++c)
        m_membersView->setColumnWidth(c, digit * memberWidths[c] + 12);
    EmptyHint::install(m_membersView,
                       tr("No members to show. Choose a Kafka consumer group's row above; a "
                          "group whose consumers have all stopped has none."));
    m_summary->setObjectName(QStringLiteral("groupSummary"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *pane = new QWidget(this);
    auto *paneLayout = new QVBoxLayout(pane);
    paneLayout->setContentsMargins(4, 4, 4, 0);
    paneLayout->addWidget(m_summary);
    paneLayout->addWidget(m_membersView, 1);

    m_splitter->addWidget(m_view);
    m_splitter->addWidget(pane);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_splitter);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ConsumersPanel::currentRowChanged);
    connect(m_members, &GroupMembersModel::groupChanged, this, &ConsumersPanel::updateSummary);
    updateSummary();
}

void ConsumersPanel::apply(const std::shared_ptr<const RefreshData> &data)
{
    m_last = data;
    m_model->update(data->consumers, data->snapshot.takenMs);
    m_members->update(data->snapshot.groups, data->snapshot.takenMs);
    updateResetDialog();
}

const GroupSnapshot *ConsumersPanel::lastGroup(const QByteArray &group) const
{
    if (!m_last)
        return nullptr;
    for (const GroupSnapshot &g : m_last->snapshot.groups)
        if (g.groupId == group)
            return &g;
    return nullptr;
}

void ConsumersPanel::currentRowChanged(const QModelIndex &current)
{
    if (current.isValid() && current.data(KafkaGroupRole).toBool())
        showGroup(current.data(ConsumerKeyRole).toByteArray());
    else if (current.isValid())
        showGroup({});
}

void ConsumersPanel::showGroup(const QByteArray &group)
{
    if (group == m_members->groupId())
        return;
    m_members->setGroup(group);
    if (m_last)
        m_members->update(m_last->snapshot.groups, m_last->snapshot.takenMs);
    updateSummary();
}

void ConsumersPanel::updateSummary()
{
    const QString name = QString::fromUtf8(m_members->groupId()).toHtmlEscaped();
    if (m_members->groupId().isEmpty())
        m_summary->setText(tr("Choose a Kafka consumer group's row to see its state and "
                              "members."));
    else if (!m_members->group())
        m_summary->setText(
            tr("Group <b>%1</b> is gone: no members and no committed offsets.").arg(name));
    else
        m_summary->setText(
            tr("Group <b>%1</b> · %2")
                .arg(name, GroupMembersModel::summary(*m_members->group()).toHtmlEscaped()));
}

QMenu *ConsumersPanel::consumerMenu(const QModelIndex &index)
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
        // Kafka changes only an empty group's offsets: say why instead of offering it
        reset->menuAction()->setEnabled(!members);
        if (members)
            reset->setTitle(tr("Reset offsets of %1 (stop its consumers first)").arg(name));
        // asked first, as Kafka's tools do: the group's consumers start from there
        auto confirmed = [this, key, name, topic](ResetTo to, const QString &where) {
            askToConfirm(this, QMessageBox::Question, tr("Reset offsets — Rivulet"),
                         tr("Move the offsets of group %1 on every partition of %2 to %3? Its "
                            "consumers read from there when they next start.")
                             .arg(name, topic, where),
                         tr("Reset"),
                         [this, key, topic, to] { resetGroupOffsets(key, topic, to); });
        };
        reset->addAction(tr("To the earliest"), this, [confirmed, this] {
            confirmed(ResetTo::Earliest, tr("the earliest message still stored"));
        });
        reset->addAction(tr("To the latest"), this, [confirmed, this] {
            confirmed(ResetTo::Latest, tr("the end (skipping everything stored)"));
        });
        reset->addAction(tr("To a time, a shift or offsets, with a preview…"), this,
                         [this, key, topic] { openResetOffsets(key, topic); });
        menu->addAction(members ? tr("Delete group %1 (stop its consumers first)").arg(name)
                                : tr("Delete group %1…").arg(name),
                        this, [this, key] { deleteGroup(key); })
            ->setEnabled(!members);
    } else if (m_source.hasNativeConsumers()) {
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

void ConsumersPanel::changeGroup(std::function<GroupOutcome(ClusterSource &, QString &)> change,
                                 std::function<void(GroupOutcome, const QString &)> then)
{
    ClusterSource *source = &m_source;
    runOffGuiThread(
        m_tasks, this,
        [source, change = std::move(change)] {
            QString error;
            const GroupOutcome outcome = change(*source, error);
            return std::make_pair(outcome, error);
        },
        [then = std::move(then)](const std::pair<GroupOutcome, QString> &result) {
            then(result.first, result.second);
        });
}

void ConsumersPanel::resetDone(const QByteArray &group, const QString &topic, GroupOutcome outcome,
                               const QString &error)
{
    if (outcome != GroupOutcome::Done) {
        showProblem(this, tr("Reset offsets — Rivulet"), error);
        Q_EMIT done(false);
        return;
    }
    Q_EMIT changed();
    Q_EMIT note(tr("Reset the offsets of %1 on %2").arg(QString::fromUtf8(group), topic));
    Q_EMIT done(true);
}

void ConsumersPanel::resetGroupOffsets(const QByteArray &group, const QString &topic, ResetTo to,
                                       qint64 offset)
{
    changeGroup(
        [group, name = topic.toUtf8(), to, offset](ClusterSource &source, QString &error) {
            return source.resetGroupOffsets(group, name, to, offset, error);
        },
        [this, group, topic](GroupOutcome outcome, const QString &error) {
            resetDone(group, topic, outcome, error);
        });
}

ResetOffsetsDialog *ConsumersPanel::openResetOffsets(const QByteArray &group, const QString &topic)
{
    Q_EMIT changed(); // the preview starts from the broker as it is now
    const TopicSnapshot *found = lastTopic(topic);
    if (!found) {
        showProblem(this, tr("Reset offsets — Rivulet"),
                    tr("There is no topic %1 any more.").arg(topic));
        return nullptr;
    }
    std::vector<ResetOffsetsDialog::PartitionRange> partitions = rangesOf(group, *found);
    // each partition's first record at or after the time, read from the log off this thread
    auto lookup = [source = &m_source, name = topic.toUtf8(),
                   count = int(partitions.size())](std::int64_t ms) {
        std::vector<ResetOffsetsDialog::TimestampAnswer> answers;
        const QList<PartitionRange> ranges = source->partitionRanges(name);
        for (int p = 0; p < count; ++p) {
            const TimestampLookup at = source->offsetForTimestamp(name, p, ms);
            if (!at.error.isEmpty())
                answers.push_back({p, -1, at.error});
            else if (at.offset >= 0)
                answers.push_back({p, at.offset, {}});
            else if (p < ranges.size()) // every record is older: the end, for the next one
                answers.push_back({p, ranges[p].endOffset, {}});
            else
                answers.push_back({p, -1, QStringLiteral("partition %1 is gone").arg(p)});
        }
        return answers;
    };
    if (m_resetDialog)
        m_resetDialog->close();
    auto *dialog = new ResetOffsetsDialog(QString::fromUtf8(group), topic, std::move(partitions),
                                          lookup, m_tasks, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_resetDialog = dialog;
    m_resetGroup = group;
    m_resetTopic = topic;
    updateResetDialog();
    connect(dialog, &QDialog::accepted, this, [this, dialog, group, topic] {
        changeGroup(
            [group, name = topic.toUtf8(), offsets = dialog->offsets()](ClusterSource &source,
                                                                        QString &error) {
                return source.resetGroupOffsets(group, name, offsets, error);
            },
            [this, group, topic](GroupOutcome outcome, const QString &error) {
                resetDone(group, topic, outcome, error);
            });
    });
    dialog->open();
    return dialog;
}

void ConsumersPanel::updateResetDialog()
{
    if (!m_resetDialog)
        return;
    // a group the broker no longer knows has nothing left: Kafka calls that Dead
    const GroupSnapshot *g = lastGroup(m_resetGroup);
    m_resetDialog->setGroupState(g ? g->state : GroupState::Dead, g ? int(g->members.size()) : 0);
    if (const TopicSnapshot *t = lastTopic(m_resetTopic))
        m_resetDialog->updatePartitions(rangesOf(m_resetGroup, *t));
}

const TopicSnapshot *ConsumersPanel::lastTopic(const QString &topic) const
{
    return m_last ? m_last->findTopic(topic) : nullptr;
}

std::vector<ResetOffsetsDialog::PartitionRange>
ConsumersPanel::rangesOf(const QByteArray &group, const TopicSnapshot &topic) const
{
    const GroupSnapshot *g = lastGroup(group);
    std::vector<ResetOffsetsDialog::PartitionRange> partitions;
    for (const PartitionSnapshot &p : topic.partitions) {
        const GroupOffsetSnapshot *committed = g ? g->offset(topic.name, p.partition) : nullptr;
        partitions.push_back({p.partition, committed ? committed->offset : -1, p.stats.startOffset,
                              p.stats.endOffset});
    }
    return partitions;
}

void ConsumersPanel::deleteGroup(const QByteArray &group)
{
    const QString name = QString::fromUtf8(group);
    askToConfirm(this, QMessageBox::Warning, tr("Delete group — Rivulet"),
                 tr("Delete consumer group %1 and its committed offsets?").arg(name), tr("Delete"),
                 [this, group, name] {
                     changeGroup(
                         [group](ClusterSource &source, QString &error) {
                             return source.deleteGroup(group, error);
                         },
                         [this, name](GroupOutcome outcome, const QString &error) {
                             switch (outcome) {
                             case GroupOutcome::Done:
                                 Q_EMIT changed();
                                 Q_EMIT note(tr("Deleted consumer group %1").arg(name));
                                 break;
                             case GroupOutcome::HasMembers:
                                 showProblem(this, tr("Delete group — Rivulet"),
                                             tr("Group %1 has members: stop its "
                                                "consumers first.")
                                                 .arg(name));
                                 break;
                             default:
                                 Q_EMIT changed();
                                 showProblem(this, tr("Delete group — Rivulet"),
                                             error.left(1).toUpper() + error.mid(1) +
                                                 QLatin1Char('.'));
                             }
                             Q_EMIT done(outcome == GroupOutcome::Done);
                         });
                 });
}

void ConsumersPanel::forgetConsumer(const QString &topic, int partition, const QByteArray &consumer)
{
    ClusterSource *source = &m_source;
    runOffGuiThread(
        m_tasks, this,
        [source, name = topic.toUtf8(), partition, consumer] {
            return source->forgetConsumer(name, partition, consumer);
        },
        [this, topic, partition, consumer](bool forgotten) {
            if (!forgotten)
                showProblem(this, tr("Forget position — Rivulet"),
                            tr("%1 has no position in %2[%3] any more.")
                                .arg(QString::fromUtf8(consumer), topic)
                                .arg(partition));
            else
                Q_EMIT changed();
            Q_EMIT done(forgotten);
        });
}

void ConsumersPanel::saveState(QSettings &settings) const
{
    settings.setValue(QStringLiteral("consumersColumns"), m_view->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("membersColumns"),
                      m_membersView->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("consumersSplitter"), m_splitter->saveState());
}

void ConsumersPanel::restoreState(const QSettings &settings)
{
    m_view->horizontalHeader()->restoreState(
        settings.value(QStringLiteral("consumersColumns")).toByteArray());
    m_membersView->horizontalHeader()->restoreState(
        settings.value(QStringLiteral("membersColumns")).toByteArray());
    if (!m_splitter->restoreState(
            settings.value(QStringLiteral("consumersSplitter")).toByteArray()))
        m_splitter->setSizes({260, 140});
    m_splitter->setOrientation(Qt::Vertical);
}

} // namespace rivulet
