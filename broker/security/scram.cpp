#include "scram.h"

#include <QList>
#include <QMessageAuthenticationCode>
#include <QPasswordDigestor>
#include <QRandomGenerator>

namespace rivulet::scram {

namespace {

QByteArray hmac(Mechanism m, const QByteArray &key, const QByteArray &message)
{
    return QMessageAuthenticationCode::hash(message, key, algorithm(m));
}

QByteArray saltedPassword(Mechanism m, const QByteArray &password, const QByteArray &salt,
                          int iterations)
{
    // Hi() of RFC 5802 is PBKDF2 with HMAC and one block of the hash's length
    return QPasswordDigestor::deriveKeyPbkdf2(
        algorithm(m), password, salt, iterations,
        quint64(QCryptographicHash::hashLength(algorithm(m))));
}

// A SCRAM "saslname": ',' and '=' travel as "=2C" and "=3D"; any other '=' is malformed.
std::optional<QString> decodeSaslName(const QByteArray &text)
{
    QByteArray out;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            out.append(text[i]);
            continue;
        }
        const QByteArray code = text.mid(i + 1, 2);
        if (code == "2C")
            out.append(',');
        else if (code == "3D")
            out.append('=');
        else
            return std::nullopt;
        i += 2;
    }
    return QString::fromUtf8(out);
}

// A nonce is printable ASCII without ','.
bool validNonce(QByteArrayView nonce)
{
    if (nonce.isEmpty())
        return false;
    for (char c : nonce)
        if (c < 0x21 || c > 0x7e || c == ',')
            return false;
    return true;
}

} // namespace

QByteArray mechanismName(Mechanism m)
{
    return m == Mechanism::Sha256 ? QByteArrayLiteral("SCRAM-SHA-256")
                                  : QByteArrayLiteral("SCRAM-SHA-512");
}

std::optional<Mechanism> mechanismFromName(QByteArrayView name)
{
    if (name == "SCRAM-SHA-256")
        return Mechanism::Sha256;
    if (name == "SCRAM-SHA-512")
        return Mechanism::Sha512;
    return std::nullopt;
}

QCryptographicHash::Algorithm algorithm(Mechanism m)
{
    return m == Mechanism::Sha256 ? QCryptographicHash::Sha256 : QCryptographicHash::Sha512;
}

QByteArray randomBytes(int n)
{
    QByteArray out(n, Qt::Uninitialized);
    // QRandomGenerator::system() reads the operating system's cryptographic source
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(out.data()), n / 4);
    for (int i = n - n % 4; i < n; ++i)
        out[i] = char(QRandomGenerator::system()->generate());
    return out;
}

Credential makeCredential(Mechanism m, const QByteArray &password, int iterations, QByteArray salt)
{
    Credential c;
    c.salt = salt.isEmpty() ? randomBytes(32) : std::move(salt);
    c.iterations = iterations;
    const QByteArray salted = saltedPassword(m, password, c.salt, iterations);
    c.storedKey = QCryptographicHash::hash(hmac(m, salted, "Client Key"), algorithm(m));
    c.serverKey = hmac(m, salted, "Server Key");
    return c;
}

bool checkPassword(Mechanism m, const Credential &credential, const QByteArray &password)
{
    const Credential derived = makeCredential(m, password, credential.iterations, credential.salt);
    return equalConstantTime(derived.storedKey, credential.storedKey);
}

bool equalConstantTime(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

ServerExchange::ServerExchange(Mechanism m, Lookup lookup, QByteArray serverNonce)
    : m_mechanism(m), m_lookup(std::move(lookup)), m_serverNonce(std::move(serverNonce))
{
    if (m_serverNonce.isEmpty())
        m_serverNonce = randomBytes(24).toBase64();
}

ServerExchange::State ServerExchange::step(const QByteArray &clientMessage, QByteArray &reply)
{
    reply.clear();
    switch (m_stage++) {
    case 0:
        return clientFirst(clientMessage, reply);
    case 1:
        return clientFinal(clientMessage, reply);
    default:
        return fail(QStringLiteral("the SCRAM exchange is already over"));
    }
}

ServerExchange::State ServerExchange::fail(const QString &why)
{
    m_error = why;
    m_stage = 2;
    return State::Failed;
}

ServerExchange::State ServerExchange::clientFirst(const QByteArray &message, QByteArray &reply)
{
    // gs2-header = gs2-cbind-flag "," [ "a=" authzid ] ","; then the bare message
    const qsizetype comma1 = message.indexOf(',');
    const qsizetype comma2 = comma1 < 0 ? -1 : message.indexOf(',', comma1 + 1);
    if (comma2 < 0)
        return fail(QStringLiteral("Invalid SCRAM client first message: no GS2 header"));
    const QByteArray flag = message.left(comma1);
    if (flag.startsWith("p="))
        return fail(QStringLiteral("SCRAM channel binding is not supported"));
    if (flag != "n" && flag != "y")
        return fail(QStringLiteral("Invalid SCRAM client first message: bad GS2 flag"));
    const QByteArray authzField = message.mid(comma1 + 1, comma2 - comma1 - 1);
    if (!authzField.isEmpty() && !authzField.startsWith("a="))
        return fail(QStringLiteral("Invalid SCRAM client first message: bad authzid"));
    m_gs2Header = message.left(comma2 + 1);
    m_clientFirstBare = message.mid(comma2 + 1);

    const QList<QByteArray> fields = m_clientFirstBare.split(',');
    if (fields.size() < 2 || !fields[0].startsWith("n=") || !fields[1].startsWith("r="))
        return fail(QStringLiteral("Invalid SCRAM client first message: n= and r= expected"));
    const auto user = decodeSaslName(fields[0].mid(2));
    if (!user || user->isEmpty())
        return fail(QStringLiteral("Invalid SCRAM client first message: bad user name"));
    for (qsizetype i = 2; i < fields.size(); ++i)
        if (fields[i].startsWith("tokenauth="))
            return fail(QStringLiteral("Delegation tokens are not supported"));
    if (!authzField.isEmpty()) {
        const auto authzid = decodeSaslName(authzField.mid(2));
        if (!authzid || *authzid != *user)
            return fail(QStringLiteral("Authentication failed: Client requested an "
                                       "authorization id that is different from username"));
    }
    const QByteArray clientNonce = fields[1].mid(2);
    if (!validNonce(clientNonce))
        return fail(QStringLiteral("Invalid SCRAM client first message: bad nonce"));
    m_user = *user;
    const auto credential = m_lookup(m_user);
    if (!credential)
        return fail(QStringLiteral("Authentication failed: Invalid user credentials"));
    m_credential = *credential;
    m_nonce = clientNonce + m_serverNonce;
    m_serverFirst = "r=" + m_nonce + ",s=" + m_credential.salt.toBase64() +
                    ",i=" + QByteArray::number(m_credential.iterations);
    reply = m_serverFirst;
    return State::Continue;
}

ServerExchange::State ServerExchange::clientFinal(const QByteArray &message, QByteArray &reply)
{
    const qsizetype proofAt = message.lastIndexOf(",p=");
    if (proofAt < 0)
        return fail(QStringLiteral("Invalid SCRAM client final message: no proof"));
    const QByteArray withoutProof = message.left(proofAt);
    const QList<QByteArray> fields = withoutProof.split(',');
    if (fields.size() < 2 || !fields[0].startsWith("c=") || !fields[1].startsWith("r="))
        return fail(QStringLiteral("Invalid SCRAM client final message: c= and r= expected"));
    if (QByteArray::fromBase64(fields[0].mid(2)) != m_gs2Header)
        return fail(QStringLiteral("Invalid SCRAM client final message: channel binding "
                                   "differs from the first message"));
    // Kafka checks only that the nonce ends with the one it sent (ScramSaslServer), and
    // librdkafka relies on that: it sends its client nonce again in front of the whole
    // nonce. The proof covers the message as sent, so this weakens nothing.
    if (!fields[1].mid(2).endsWith(m_nonce))
        return fail(QStringLiteral("Invalid SCRAM client final message: nonce mismatch"));
    const QByteArray proof = QByteArray::fromBase64(message.mid(proofAt + 3));

    const QByteArray authMessage = m_clientFirstBare + ',' + m_serverFirst + ',' + withoutProof;
    const QByteArray clientSignature = hmac(m_mechanism, m_credential.storedKey, authMessage);
    if (proof.size() != clientSignature.size())
        return fail(QStringLiteral("Authentication failed: Invalid user credentials"));
    QByteArray clientKey(proof.size(), Qt::Uninitialized);
    for (qsizetype i = 0; i < proof.size(); ++i)
        clientKey[i] = char(proof[i] ^ clientSignature[i]);
    const QByteArray storedKey = QCryptographicHash::hash(clientKey, algorithm(m_mechanism));
    if (!equalConstantTime(storedKey, m_credential.storedKey))
        return fail(QStringLiteral("Authentication failed: Invalid user credentials"));
    reply = "v=" + hmac(m_mechanism, m_credential.serverKey, authMessage).toBase64();
    return State::Done;
}

} // namespace rivulet::scram
