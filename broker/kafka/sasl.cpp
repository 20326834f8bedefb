// SASL on a SASL_PLAINTEXT or SASL_SSL listener (PROTOCOL.md §15.35): SaslHandshake (17),
// SaslAuthenticate (36), the raw tokens that follow a v0 handshake, and the gate that keeps
// a connection to ApiVersions and these two until it is authenticated, as Kafka's
// SaslServerAuthenticator does.
#include "kafkahandler.h"

#include "monitor/clientregistry.h"
#include "security/saslserver.h"

namespace rivulet::kafka {

QString KafkaHandler::principal() const
{
    return m_user.isEmpty() ? QStringLiteral("ANONYMOUS") : QStringLiteral("User:") + m_user;
}

QString KafkaHandler::refusedBeforeAuthentication(const RequestHeader &h) const
{
    switch (m_auth) {
    case Auth::Open:
        return {};
    case Auth::NeedHandshake:
        if (h.apiKey == std::int16_t(ApiKey::ApiVersions) ||
            h.apiKey == std::int16_t(ApiKey::SaslHandshake))
            return {};
        break;
    case Auth::NeedToken:
        if (h.apiKey == std::int16_t(ApiKey::SaslAuthenticate))
            return {};
        break;
    case Auth::RawTokens:
        break; // not reached: raw tokens are not requests
    }
    return QStringLiteral("Unexpected Kafka request of type %1 during SASL authentication")
        .arg(QLatin1String(apiName(h.apiKey)));
}

void KafkaHandler::authenticated(const QString &user)
{
    m_auth = Auth::Open;
    m_user = user;
    m_sasl.reset();
    m_stats->setPrincipal(principal());
    qInfo("rivulet: Kafka client %s authenticated as User:%s", qPrintable(m_peerHost),
          qPrintable(user));
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, SaslHandshakeRequest &request)
{
    SaslHandshakeResponse response;
    if (m_auth != Auth::NeedHandshake) {
        // a PLAINTEXT/SSL listener, or a second handshake (Rivulet's sessions never expire,
        // so there is no re-authentication)
        response.errorCode = error::IllegalSaslState;
        return call.respond(response);
    }
    const QList<QByteArray> &offered = SaslServer::mechanisms();
    response.mechanisms.assign(offered.begin(), offered.end());
    m_sasl = std::make_unique<SaslServer>(m_config.users);
    if (!m_sasl->begin(request.mechanism)) {
        response.errorCode = error::UnsupportedSaslMechanism;
        return {Outcome::Kind::RespondAndClose, encodeResponse(call.header, response),
                QStringLiteral("SASL mechanism '%1' is not supported (%2 are)")
                    .arg(QString::fromUtf8(request.mechanism),
                         QString::fromLatin1(SaslServer::mechanisms().join(", ")))};
    }
    // v0: the tokens follow as bare frames (Kafka before 1.0); v1: in SaslAuthenticate
    m_auth = call.version() == 0 ? Auth::RawTokens : Auth::NeedToken;
    return call.respond(response);
}

KafkaHandler::Outcome KafkaHandler::handle(const Call &call, SaslAuthenticateRequest &request)
{
    SaslAuthenticateResponse response;
    if (m_auth == Auth::Open) {
        response.errorCode = error::IllegalSaslState;
        response.errorMessage =
            QByteArray(usesSasl(m_config.security) ? "SaslAuthenticate request received after "
                                                     "successful authentication"
                                                   : "SASL is not enabled on this listener");
        return call.respond(response);
    }
    QByteArray reply;
    switch (m_sasl->step(request.authBytes, reply)) {
    case SaslServer::Result::Continue:
        response.authBytes = reply;
        return call.respond(response);
    case SaslServer::Result::Authenticated:
        response.authBytes = reply;
        authenticated(m_sasl->user());
        return call.respond(response);
    case SaslServer::Result::Failed:
        break;
    }
    response.errorCode = error::SaslAuthenticationFailed;
    response.errorMessage = m_sasl->error().toUtf8();
    return {Outcome::Kind::RespondAndClose, encodeResponse(call.header, response),
            QStringLiteral("SASL %1 authentication failed: %2")
                .arg(QString::fromLatin1(m_sasl->mechanism()), m_sasl->error())};
}

KafkaHandler::Outcome KafkaHandler::handleRawSaslToken(QByteArrayView frame)
{
    QByteArray reply;
    switch (m_sasl->step(frame.toByteArray(), reply)) {
    case SaslServer::Result::Continue:
        return {Outcome::Kind::Respond, reply, {}};
    case SaslServer::Result::Authenticated:
        authenticated(m_sasl->user());
        // PLAIN's reply is an empty token: a frame of size 0, as Kafka sends
        return {Outcome::Kind::Respond, reply, {}};
    case SaslServer::Result::Failed:
        break;
    }
    // a raw exchange has no place for an error: Kafka closes the connection
    return {Outcome::Kind::Close,
            {},
            QStringLiteral("SASL %1 authentication failed: %2")
                .arg(QString::fromLatin1(m_sasl->mechanism()), m_sasl->error())};
}

} // namespace rivulet::kafka
