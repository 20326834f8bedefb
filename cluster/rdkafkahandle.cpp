#include "rdkafkahandle.h"

namespace rivulet::rdkafka {
namespace {

void dropLog(const rd_kafka_t *, int, const char *, const char *) {}

void keepError(rd_kafka_t *, int err, const char *reason, void *opaque)
{
    auto *events = static_cast<Events *>(opaque);
    if (!events)
        return;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        events->allBrokersDown = true; // its reason is in the error before it
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
        err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED)
        events->authenticationFailed = true;
    events->lastError = QString::fromUtf8(reason);
}

} // namespace

Handle create(rd_kafka_type_t type, const QList<std::pair<QByteArray, QByteArray>> &config,
              Events *events, QString &error, DeliveryCallback delivered)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    QList<std::pair<QByteArray, QByteArray>> all = config;
    all.prepend({QByteArrayLiteral("bootstrap.servers"), events->bootstrap.toUtf8()});
    for (const auto &[name, value] : all) {
        if (rd_kafka_conf_set(conf, name.constData(), value.constData(), errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
            // librdkafka's message names the property, never its value
            error = QString::fromUtf8(errstr);
            rd_kafka_conf_destroy(conf);
            return {};
        }
    }
    rd_kafka_conf_set_log_cb(conf, dropLog);
    rd_kafka_conf_set_error_cb(conf, keepError);
    if (delivered)
        rd_kafka_conf_set_dr_msg_cb(conf, delivered);
    rd_kafka_conf_set_opaque(conf, events);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        error = QString::fromUtf8(errstr);
        rd_kafka_conf_destroy(conf);
        return {};
    }
    return Handle(rk);
}

QList<std::pair<QByteArray, std::optional<QByteArray>>> messageHeaders(const rd_kafka_message_t *m)
{
    QList<std::pair<QByteArray, std::optional<QByteArray>>> out;
    rd_kafka_headers_t *headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return out; // none
    const char *name = nullptr;
    const void *value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
        std::optional<QByteArray> bytes;
        if (value)
            bytes = QByteArray(static_cast<const char *>(value), qsizetype(size));
        out.append({QByteArray(name), std::move(bytes)});
    }
    return out;
}

bool isUnreachable(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
           err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__RESOLVE ||
           err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
}

namespace {
const QLatin1String kAuthenticationFailed("authentication with ");
const QLatin1String kNoBroker("no Kafka broker answered at ");
} // namespace

bool saysUnreachable(const QString &message)
{
    return message.contains(kNoBroker) || message.contains(kAuthenticationFailed);
}

QString failure(const Events &events, rd_kafka_resp_err_t err)
{
    if (events.authenticationFailed)
        return kAuthenticationFailed +
               QStringLiteral("%1 failed: %2").arg(events.bootstrap, events.lastError);
    if (isUnreachable(err)) {
        QString text = kNoBroker + events.bootstrap;
        if (!events.lastError.isEmpty())
            text += QStringLiteral(" (%1)").arg(events.lastError);
        return text;
    }
    return QString::fromUtf8(rd_kafka_err2str(err));
}

} // namespace rivulet::rdkafka
