#include "saslserver.h"

#include "userstore.h"

namespace rivulet {

const QList<QByteArray> &SaslServer::mechanisms()
{
    static const QList<QByteArray> list{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    return list;
}

SaslServer::SaslServer(std::shared_ptr<UserStore> users) : m_users(std::move(users)) {}

SaslServer::~SaslServer() = default;

bool SaslServer::begin(const QByteArray &mechanism)
{
    if (!mechanisms().contains(mechanism))
        return false;
    m_mechanism = mechanism;
    if (const auto scramMechanism = scram::mechanismFromName(mechanism)) {
        m_scram = std::make_unique<scram::ServerExchange>(
            *scramMechanism, [users = m_users, m = *scramMechanism](const QString &user) {
                return users->credential(user, m);
            });
    }
    return true;
}

SaslServer::Result SaslServer::failed(const QString &why)
{
    m_error = why;
    m_over = true;
    return Result::Failed;
}

SaslServer::Result SaslServer::step(const QByteArray &token, QByteArray &reply)
{
    reply.clear();
    if (m_over || m_mechanism.isEmpty())
        return failed(QStringLiteral("no SASL exchange is in progress"));
    if (!m_scram)
        return plain(token);
    switch (m_scram->step(token, reply)) {
    case scram::ServerExchange::State::Continue:
        return Result::Continue;
    case scram::ServerExchange::State::Done:
        m_user = m_scram->user();
        m_over = true;
        return Result::Authenticated;
    case scram::ServerExchange::State::Failed:
        break;
    }
    // as Kafka words it; the detail stays in the broker's log
    qInfo("rivulet: SASL %s refused for '%s': %s", m_mechanism.constData(),
          qPrintable(m_scram->user()), qPrintable(m_scram->error()));
    return failed(QStringLiteral("Authentication failed during authentication due to invalid "
                                 "credentials with SASL mechanism %1")
                      .arg(QString::fromLatin1(m_mechanism)));
}

SaslServer::Result SaslServer::plain(const QByteArray &token)
{
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const QList<QByteArray> parts = token.split('\0');
    if (parts.size() != 3)
        return failed(QStringLiteral("Invalid SASL/PLAIN response: expected 3 tokens, got %1")
                          .arg(parts.size()));
    const QString authzid = QString::fromUtf8(parts[0]);
    const QString user = QString::fromUtf8(parts[1]);
    if (user.isEmpty())
        return failed(QStringLiteral("Authentication failed: username not specified"));
    if (parts[2].isEmpty())
        return failed(QStringLiteral("Authentication failed: password not specified"));
    if (!authzid.isEmpty() && authzid != user)
        return failed(QStringLiteral("Authentication failed: Client requested an authorization "
                                     "id that is different from username"));
    if (!m_users->checkPassword(user, parts[2])) {
        qInfo("rivulet: SASL PLAIN refused for '%s'", qPrintable(user));
        return failed(QStringLiteral("Authentication failed: Invalid username or password"));
    }
    m_user = user;
    m_over = true;
    return Result::Authenticated;
}

} // namespace rivulet
