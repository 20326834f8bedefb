#pragma once

#include "monitor/snapshot.h"
#include "ratemeter.h"

#include <QAbstractTableModel>

#include <vector>

namespace rivulet {

// Every open connection: address, protocol, the name it gave, what it produces to and
// consumes from, messages/s and bytes/s both ways, and when it connected. Merged by
// connection id from each snapshot, never reset.
class ClientsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Address,
        Name,
        Protocol,
        Produces,
        Consumes,
        MessagesIn,
        MessagesOut,
        BytesIn,
        BytesOut,
        ConnectedSince,
        Software, // last, so that saved column layouts from before it still fit
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    void update(const BrokerSnapshot &snapshot) { update(snapshot.clients, snapshot.takenMs); }
    void update(const std::vector<ClientStats::Snapshot> &clients, std::int64_t takenMs);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        ClientStats::Snapshot client;
        RateMeter messagesIn, messagesOut, bytesIn, bytesOut;
    };
    static std::uint64_t refresh(Row &row, const ClientStats::Snapshot &fresh, std::int64_t nowMs);
    // The name it gave (consumer_id or client.id), else its address.
    static QString displayName(const ClientStats::Snapshot &client);
    // "a[0], a[1], a[2] +N more", counting the partitions the snapshot did not list
    static QString summary(const QStringList &partitions, int total);
    static QString fullList(const QStringList &partitions, int total);

    std::vector<Row> m_rows; // by connection id
    std::int64_t m_nowMs = 0;
};

} // namespace rivulet
