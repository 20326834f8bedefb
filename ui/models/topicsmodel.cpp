#include "topicsmodel.h"

#include <QDateTime>
#include <QLocale>

namespace rivulet {
namespace {

bool keyLess(const TopicsModel::Row &a, const TopicsModel::Row &b)
{
    const int c = QString::compare(a.topic, b.topic);
    return c < 0 || (c == 0 && a.partition < b.partition);
}

} // namespace

void TopicsModel::update(const BrokerSnapshot &snapshot)
{
    std::vector<Row> fresh;
    for (const TopicSnapshot &t : snapshot.topics)
        for (const PartitionSnapshot &p : t.partitions)
            fresh.push_back({t.name, p.partition, p.stats});
    std::sort(fresh.begin(), fresh.end(), keyLess);

    // Walk both sorted lists: drop rows that went, insert rows that came, and report the
    // cells of rows that changed.
    std::size_t i = 0, j = 0;
    while (i < m_rows.size() || j < fresh.size()) {
        if (j == fresh.size() || (i < m_rows.size() && keyLess(m_rows[i], fresh[j]))) {
            beginRemoveRows({}, int(i), int(i));
            m_rows.erase(m_rows.begin() + std::ptrdiff_t(i));
            endRemoveRows();
        } else if (i == m_rows.size() || keyLess(fresh[j], m_rows[i])) {
            beginInsertRows({}, int(i), int(i));
            m_rows.insert(m_rows.begin() + std::ptrdiff_t(i), fresh[j]);
            endInsertRows();
            ++i;
            ++j;
        } else {
            if (!(m_rows[i] == fresh[j])) {
                m_rows[i] = fresh[j];
                Q_EMIT dataChanged(index(int(i), StartOffset), index(int(i), ColumnCount - 1));
            }
            ++i;
            ++j;
        }
    }
}

int TopicsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TopicsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TopicsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() == Topic ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                       : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::UserRole)
        return {};
    const bool raw = role == Qt::UserRole;
    switch (index.column()) {
    case Topic:
        return row.topic;
    case Partition:
        return row.partition;
    case StartOffset:
        return qlonglong(row.stats.startOffset);
    case EndOffset:
        return qlonglong(row.stats.endOffset);
    case Messages:
        return qlonglong(row.stats.endOffset - row.stats.startOffset);
    case Bytes:
        return raw ? QVariant(qlonglong(row.stats.sizeBytes))
                   : QVariant(QLocale().formattedDataSize(row.stats.sizeBytes));
    case LastWrite:
        if (raw)
            return qlonglong(row.stats.lastAppendMs);
        return row.stats.lastAppendMs == 0
                   ? QString()
                   : QDateTime::fromMSecsSinceEpoch(row.stats.lastAppendMs)
                         .toString(QStringLiteral("HH:mm:ss.zzz"));
    }
    return {};
}

QVariant TopicsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Topic", "Partition", "Start offset", "End offset",
                                        "Messages", "Bytes", "Last write"};
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace rivulet
