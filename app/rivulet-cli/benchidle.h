#pragma once

#include <QString>

#include <vector>

// `rivulet-cli bench --idle-connections N`: connections that the broker accepted and served
// once, then left silent for the whole load, as the many idle connections of a real
// developer machine (client pools, tools) are.
namespace cli::bench {

class IdleConnections
{
public:
    IdleConnections() = default;
    IdleConnections(const IdleConnections &) = delete;
    IdleConnections &operator=(const IdleConnections &) = delete;
    ~IdleConnections();

    // Opens count connections to host:port and makes one request on each (a native Consume
    // with limit 0, answered with Empty without reading the log, under the one consumer id
    // "bench-idle" so that the broker keeps one position for all of them), so that each is
    // known to be accepted and served before the load starts. Returns an empty string or
    // what went wrong; on failure the connections opened so far stay open until close().
    QString open(const QString &host, quint16 port, const QByteArray &topic, int count);
    void close();
    int size() const { return int(m_fds.size()); }

private:
    std::vector<int> m_fds;
};

} // namespace cli::bench
