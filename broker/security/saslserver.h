#pragma once

#include "scram.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>

namespace rivulet {

class UserStore;

// The server side of SASL on one connection: the mechanism the client picked in its
// SaslHandshake, then its tokens until it is authenticated or refused. Mechanisms: PLAIN
// (checked against the user's SCRAM credentials) and SCRAM-SHA-256/512.
class SaslServer
{
public:
    static const QList<QByteArray> &mechanisms();

    explicit SaslServer(std::shared_ptr<UserStore> users);
    ~SaslServer();

    // False for a mechanism Rivulet does not offer.
    bool begin(const QByteArray &mechanism);
    bool hasMechanism() const { return !m_mechanism.isEmpty(); }
    const QByteArray &mechanism() const { return m_mechanism; }

    enum class Result
    {
        Continue,      // send reply, more tokens follow
        Authenticated, // send reply; the client is user()
        Failed         // refuse with error()
    };
    Result step(const QByteArray &token, QByteArray &reply);
    const QString &user() const { return m_user; }
    const QString &error() const { return m_error; }

private:
    Result plain(const QByteArray &token);
    Result failed(const QString &why);

    std::shared_ptr<UserStore> m_users;
    QByteArray m_mechanism;
    std::unique_ptr<scram::ServerExchange> m_scram;
    QString m_user;
    QString m_error;
    bool m_over = false;
};

} // namespace rivulet
