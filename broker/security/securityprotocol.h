#pragma once

#include <QString>

#include <optional>

namespace rivulet {

// A Kafka listener's security, named as Kafka names it (security.protocol).
enum class SecurityProtocol
{
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl
};

inline bool usesSasl(SecurityProtocol p)
{
    return p == SecurityProtocol::SaslPlaintext || p == SecurityProtocol::SaslSsl;
}
inline bool usesTls(SecurityProtocol p)
{
    return p == SecurityProtocol::Ssl || p == SecurityProtocol::SaslSsl;
}
inline QString securityProtocolName(SecurityProtocol p)
{
    switch (p) {
    case SecurityProtocol::Plaintext:
        return QStringLiteral("PLAINTEXT");
    case SecurityProtocol::Ssl:
        return QStringLiteral("SSL");
    case SecurityProtocol::SaslPlaintext:
        return QStringLiteral("SASL_PLAINTEXT");
    case SecurityProtocol::SaslSsl:
        return QStringLiteral("SASL_SSL");
    }
    return {};
}
inline std::optional<SecurityProtocol> securityProtocolFromName(const QString &name)
{
    for (auto p : {SecurityProtocol::Plaintext, SecurityProtocol::Ssl,
                   SecurityProtocol::SaslPlaintext, SecurityProtocol::SaslSsl})
        if (name.compare(securityProtocolName(p), Qt::CaseInsensitive) == 0)
            return p;
    return std::nullopt;
}

} // namespace rivulet
