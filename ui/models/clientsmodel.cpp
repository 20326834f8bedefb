#include "clientsmodel.h"

#include "displayformat.h"
#include "modelroles.h"
#include "sortedmerge.h"

#include <algorithm>

namespace rivulet {
namespace {

constexpr std::uint64_t bit(int column)
{
    return std::uint64_t(1) << column;
}

} // namespace

std::uint64_t ClientsModel::refresh(Row &row, const ClientStats::Snapshot &fresh,
                                    std::int64_t nowMs)
{
    std::uint64_t mask = 0;
    if (row.messagesIn.update(fresh.recordsIn, nowMs))
        mask |= bit(MessagesIn);
    if (row.messagesOut.update(fresh.recordsOut, nowMs))
        mask |= bit(MessagesOut);
    if (row.bytesIn.update(fresh.bytesIn, nowMs))
        mask |= bit(BytesIn);
    if (row.bytesOut.update(fresh.bytesOut, nowMs))
        mask |= bit(BytesOut);
    if (row.client.name != fresh.name)
        mask |= bit(Name);
    if (row.client.software != fresh.software)
        mask |= bit(Software);
    if (row.client.principal != fresh.principal || row.client.encrypted != fresh.encrypted)
        mask |= bit(Protocol);
    if (row.client.produces != fresh.produces || row.client.producesTotal != fresh.producesTotal)
        mask |= bit(Produces);
    if (row.client.consumes != fresh.consumes || row.client.consumesTotal != fresh.consumesTotal)
        mask |= bit(Consumes);
    row.client = fresh;
    return mask;
}

void ClientsModel::update(const std::vector<ClientStats::Snapshot> &clients, std::int64_t takenMs)
{
    m_nowMs = takenMs;
    std::vector<const ClientStats::Snapshot *> fresh;
    fresh.reserve(clients.size());
    for (const ClientStats::Snapshot &c : clients)
        fresh.push_back(&c);
    auto byId = [](const auto *a, const auto *b) { return a->id < b->id; };
    if (!std::is_sorted(fresh.begin(), fresh.end(), byId))
        std::sort(fresh.begin(), fresh.end(), byId);

    mergeSorted(
        fresh.size(), [this] { return m_rows.size(); },
        [&](std::size_t i, std::size_t j) {
            const std::uint64_t a = m_rows[i].client.id, b = fresh[j]->id;
            return a < b ? -1 : a > b ? 1 : 0;
        },
        [&](std::size_t first, std::size_t last) {
            beginRemoveRows({}, int(first), int(last));
            m_rows.erase(m_rows.begin() + std::ptrdiff_t(first),
                         m_rows.begin() + std::ptrdiff_t(last) + 1);
            endRemoveRows();
        },
        [&](std::size_t at, std::size_t first, std::size_t last) {
            beginInsertRows({}, int(at), int(at + last - first));
            std::vector<Row> added(last - first + 1);
            for (std::size_t j = first; j <= last; ++j)
                refresh(added[j - first], *fresh[j], m_nowMs);
            m_rows.insert(m_rows.begin() + std::ptrdiff_t(at),
                          std::make_move_iterator(added.begin()),
                          std::make_move_iterator(added.end()));
            endInsertRows();
        },
        [&](std::size_t i, std::size_t j) { return refresh(m_rows[i], *fresh[j], m_nowMs); },
        [&](std::size_t first, std::size_t last, int firstColumn, int lastColumn) {
            Q_EMIT dataChanged(index(int(first), firstColumn), index(int(last), lastColumn));
        });
}

QString ClientsModel::displayName(const ClientStats::Snapshot &client)
{
    // a producer that gave no consumer_id must still be told apart from the others
    return client.name.isEmpty() ? client.address : client.name;
}

QString ClientsModel::summary(const QStringList &partitions, int total)
{
    constexpr int kShown = 3;
    total = std::max<int>(total, int(partitions.size()));
    if (total <= kShown)
        return partitions.join(QLatin1String(", "));
    return partitions.first(kShown).join(QLatin1String(", ")) + tr(" +%1 more").arg(total - kShown);
}

QString ClientsModel::fullList(const QStringList &partitions, int total)
{
    QString text = partitions.join(QLatin1Char('\n'));
    if (total > partitions.size())
        text += tr("\n… and %1 more").arg(total - partitions.size());
    return text;
}

int ClientsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ClientsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClientsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const ClientStats::Snapshot &c = row.client;
    switch (role) {
    case Qt::TextAlignmentRole:
        return index.column() >= MessagesIn && index.column() <= BytesOut
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Produces:
            return fullList(c.produces, c.producesTotal);
        case Consumes:
            return fullList(c.consumes, c.consumesTotal);
        case MessagesIn:
        case MessagesOut:
            return tr("%1 messages in, %2 out since it connected")
                .arg(display::count(c.recordsIn), display::count(c.recordsOut));
        case BytesIn:
        case BytesOut:
            return tr("%1 in, %2 out since it connected")
                .arg(display::bytes(c.bytesIn), display::bytes(c.bytesOut));
        case ConnectedSince:
            return tr("connected %1").arg(display::age(c.connectedMs, m_nowMs));
        case Software:
            return c.software; // often longer than the column
        case Name:
            if (c.name.isEmpty())
                return tr("It gave no name (no consumer_id or client.id): shown by its address, "
                          "as the Consumers tab names such a consumer");
            return {};
        }
        return {};
    case Qt::DisplayRole:
    case SortRole:
        break;
    default:
        return {};
    }
    const bool raw = role == SortRole;
    switch (index.column()) {
    case Address:
        return c.address;
    case Name:
        return displayName(c);
    case Protocol:
        // Kafka: who the client authenticated as, and whether TLS carries it
        if (c.principal.isEmpty())
            return c.protocol;
        return c.encrypted ? tr("%1 over TLS, %2").arg(c.protocol, c.principal)
                           : tr("%1, %2").arg(c.protocol, c.principal);
    case Produces:
        return raw ? QVariant(c.produces.join(QLatin1Char(' ')))
                   : QVariant(summary(c.produces, c.producesTotal));
    case Consumes:
        return raw ? QVariant(c.consumes.join(QLatin1Char(' ')))
                   : QVariant(summary(c.consumes, c.consumesTotal));
    case MessagesIn:
        return raw ? QVariant(row.messagesIn.perSecond)
                   : QVariant(display::rate(row.messagesIn.perSecond));
    case MessagesOut:
        return raw ? QVariant(row.messagesOut.perSecond)
                   : QVariant(display::rate(row.messagesOut.perSecond));
    case BytesIn:
        return raw ? QVariant(row.bytesIn.perSecond)
                   : QVariant(display::byteRate(row.bytesIn.perSecond));
    case BytesOut:
        return raw ? QVariant(row.bytesOut.perSecond)
                   : QVariant(display::byteRate(row.bytesOut.perSecond));
    case ConnectedSince:
        return raw ? QVariant(qlonglong(c.connectedMs))
                   : QVariant(display::timestamp(c.connectedMs, m_nowMs));
    case Software:
        return c.software;
    }
    return {};
}

QVariant ClientsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::TextAlignmentRole)
        return section >= MessagesIn && section <= BytesOut
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && section == Name)
        return tr("The name the client gave itself (consumer_id or client.id)");
    if (role == Qt::ToolTipRole && section == Software)
        return tr("The client library and its version, as Kafka clients say when they connect "
                  "(ApiVersions v3 and later)");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Address:
        return tr("Address");
    case Name:
        return tr("Name");
    case Protocol:
        return tr("Protocol");
    case Produces:
        return tr("Produces to");
    case Consumes:
        return tr("Consumes from");
    case MessagesIn:
        return tr("In msg/s");
    case MessagesOut:
        return tr("Out msg/s");
    case BytesIn:
        return tr("In B/s");
    case BytesOut:
        return tr("Out B/s");
    case ConnectedSince:
        return tr("Connected since");
    case Software:
        return tr("Software");
    }
    return {};
}

} // namespace rivulet
