#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace rivulet {

// Live counters of one connection. The connection's own thread updates them; snapshots
// read them from any thread.
class ClientStats
{
public:
    static constexpr int kListedPartitions = 64;

    ClientStats(QString address, QString protocol, std::int64_t connectedMs)
        : m_address(std::move(address)), m_protocol(std::move(protocol)), m_connectedMs(connectedMs)
    {
    }

    const QString &address() const { return m_address; }
    void addBytesIn(std::int64_t n) { m_bytesIn.fetch_add(n, std::memory_order_relaxed); }
    void addBytesOut(std::int64_t n) { m_bytesOut.fetch_add(n, std::memory_order_relaxed); }
    void noteProduced(const QString &topic, int partition, std::int64_t records);
    void noteConsumed(const QString &topic, int partition, std::int64_t records);
    // A name the client gave itself (consumer_id, or Kafka's client.id).
    void noteName(QByteArrayView name);
    // The client library and its version, as Kafka clients say in ApiVersions v3+.
    void noteSoftware(QByteArrayView name, QByteArrayView version);
    // Kafka connections: who the client is ("User:alice", "ANONYMOUS") and whether TLS
    // carries the connection.
    void setPrincipal(const QString &principal);
    void setEncrypted(bool encrypted) { m_encrypted.store(encrypted, std::memory_order_relaxed); }

    struct Snapshot
    {
        std::uint64_t id = 0;
        QString address;
        QString protocol;
        QString name;
        QString software;  // "librdkafka 2.0.2"; empty when the client did not say
        QString principal; // Kafka: "User:alice" or "ANONYMOUS"; empty for native clients
        bool encrypted = false;
        std::int64_t connectedMs = 0;
        std::int64_t bytesIn = 0;
        std::int64_t bytesOut = 0;
        std::int64_t recordsIn = 0;
        std::int64_t recordsOut = 0;
        // "topic[partition]", the first kListedPartitions of each, so a client that touches
        // thousands of partitions does not make every snapshot format thousands of strings
        QStringList produces;
        QStringList consumes;
        int producesTotal = 0;
        int consumesTotal = 0;
    };
    Snapshot snapshot(std::uint64_t id) const;

private:
    const QString m_address;
    const QString m_protocol;
    const std::int64_t m_connectedMs;
    std::atomic<std::int64_t> m_bytesIn{0};
    std::atomic<std::int64_t> m_bytesOut{0};
    std::atomic<std::int64_t> m_recordsIn{0};
    std::atomic<std::int64_t> m_recordsOut{0};
    std::atomic<bool> m_encrypted{false};

    mutable std::mutex m_mutex; // guards the sets and the name; taken when they change
    std::set<std::pair<QString, int>> m_produces;
    std::set<std::pair<QString, int>> m_consumes;
    QString m_name;
    QString m_software;
    QString m_principal;
    // the last topic/partition seen, so a steady stream does not take the mutex
    std::pair<QString, int> m_lastProduced{QString(), -1};
    std::pair<QString, int> m_lastConsumed{QString(), -1};
};

// Every open connection, for the window's client list.
class ClientRegistry
{
public:
    std::shared_ptr<ClientStats> add(QString address, QString protocol, std::int64_t nowMs);
    void remove(const std::shared_ptr<ClientStats> &client);
    std::vector<ClientStats::Snapshot> snapshot() const;
    std::size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::uint64_t m_nextId = 1;
    std::map<std::uint64_t, std::shared_ptr<ClientStats>> m_clients;
    std::map<const ClientStats *, std::uint64_t> m_ids;
};

} // namespace rivulet
