#include "clientregistry.h"

#include <QStringList>

namespace rivulet {

void ClientStats::noteProduced(const QString &topic, int partition, std::int64_t records)
{
    m_recordsIn.fetch_add(records, std::memory_order_relaxed);
    if (m_lastProduced.second == partition && m_lastProduced.first == topic)
        return;
    std::lock_guard lock(m_mutex);
    m_lastProduced = {topic, partition};
    m_produces.insert(m_lastProduced);
}

void ClientStats::noteConsumed(const QString &topic, int partition, std::int64_t records)
{
    m_recordsOut.fetch_add(records, std::memory_order_relaxed);
    if (m_lastConsumed.second == partition && m_lastConsumed.first == topic)
        return;
    std::lock_guard lock(m_mutex);
    m_lastConsumed = {topic, partition};
    m_consumes.insert(m_lastConsumed);
}

void ClientStats::noteName(QByteArrayView name)
{
    std::lock_guard lock(m_mutex);
    if (m_name.toUtf8() != name)
        m_name = QString::fromUtf8(name);
}

void ClientStats::noteSoftware(QByteArrayView name, QByteArrayView version)
{
    QString software = QString::fromUtf8(name);
    if (!version.isEmpty())
        software += u' ' + QString::fromUtf8(version);
    std::lock_guard lock(m_mutex);
    m_software = std::move(software);
}

void ClientStats::setPrincipal(const QString &principal)
{
    std::lock_guard lock(m_mutex);
    m_principal = principal;
}

ClientStats::Snapshot ClientStats::snapshot(std::uint64_t id) const
{
    Snapshot s;
    s.id = id;
    s.address = m_address;
    s.protocol = m_protocol;
    s.connectedMs = m_connectedMs;
    s.bytesIn = m_bytesIn.load(std::memory_order_relaxed);
    s.bytesOut = m_bytesOut.load(std::memory_order_relaxed);
    s.recordsIn = m_recordsIn.load(std::memory_order_relaxed);
    s.recordsOut = m_recordsOut.load(std::memory_order_relaxed);
    s.encrypted = m_encrypted.load(std::memory_order_relaxed);
    std::lock_guard lock(m_mutex);
    s.name = m_name;
    s.principal = m_principal;
    s.software = m_software;
    s.producesTotal = int(m_produces.size());
    s.consumesTotal = int(m_consumes.size());
    for (const auto &[topic, partition] : m_produces) {
        if (s.produces.size() == kListedPartitions)
            break;
        s.produces << QStringLiteral("%1[%2]").arg(topic).arg(partition);
    }
    for (const auto &[topic, partition] : m_consumes) {
        if (s.consumes.size() == kListedPartitions)
            break;
        s.consumes << QStringLiteral("%1[%2]").arg(topic).arg(partition);
    }
    return s;
}

std::shared_ptr<ClientStats> ClientRegistry::add(QString address, QString protocol,
                                                 std::int64_t nowMs)
{
    auto client = std::make_shared<ClientStats>(std::move(address), std::move(protocol), nowMs);
    std::lock_guard lock(m_mutex);
    const std::uint64_t id = m_nextId++;
    m_clients.emplace(id, client);
    m_ids.emplace(client.get(), id);
    return client;
}

void ClientRegistry::remove(const std::shared_ptr<ClientStats> &client)
{
    std::lock_guard lock(m_mutex);
    const auto it = m_ids.find(client.get());
    if (it == m_ids.end())
        return;
    m_clients.erase(it->second);
    m_ids.erase(it);
}

std::vector<ClientStats::Snapshot> ClientRegistry::snapshot() const
{
    std::vector<std::pair<std::uint64_t, std::shared_ptr<ClientStats>>> clients;
    {
        std::lock_guard lock(m_mutex);
        clients.assign(m_clients.begin(), m_clients.end());
    }
    std::vector<ClientStats::Snapshot> result;
    result.reserve(clients.size());
    for (const auto &[id, client] : clients)
        result.push_back(client->snapshot(id));
    return result;
}

std::size_t ClientRegistry::size() const
{
    std::lock_guard lock(m_mutex);
    return m_clients.size();
}

} // namespace rivulet
