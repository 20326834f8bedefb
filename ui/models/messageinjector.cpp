#include "messageinjector.h"

#include "broker.h"
#include "offthread.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTimer>

#include <map>

namespace rivulet {
namespace {

constexpr int kBatchRecords = 1000;
constexpr qsizetype kBatchBytes = 1 << 20;

// A value with "{i}" placeholders, split once so that expanding it is a few appends.
class Template
{
public:
    // without placeholders, the text is sent as it is
    Template(const QByteArray &text, bool placeholders)
        : m_parts(placeholders ? text.split('{') : QList<QByteArray>{text})
    {
    }

    void expand(std::int64_t i, QByteArray &out) const
    {
        out.clear();
        const QByteArray number = QByteArray::number(qlonglong(i));
        out += m_parts.front();
        for (qsizetype k = 1; k < m_parts.size(); ++k) {
            const QByteArray &part = m_parts[k];
            if (part.startsWith("i}")) {
                out += number;
                out += QByteArrayView(part).sliced(2);
            } else {
                out += '{';
                out += part;
            }
        }
    }

private:
    QList<QByteArray> m_parts;
};

bool readLines(const QString &path, QList<QByteArray> &values, QString &error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return false;
    }
    const QByteArray all = file.readAll();
    for (QByteArray line : all.split('\n')) {
        if (line.endsWith('\r'))
            line.chop(1);
        if (!line.isEmpty())
            values.append(line);
    }
    if (values.isEmpty())
        error = QStringLiteral("%1 has no lines to send").arg(path);
    return !values.isEmpty();
}

} // namespace

int writeTarget(Broker &broker, const QString &name, int partition, QString &error)
{
    const int partitions = broker.partitionCount(name.toUtf8());
    if (partitions < 0) {
        error = QStringLiteral("topic \"%1\" does not exist").arg(name);
        return -1;
    }
    if (partition >= partitions) {
        error = QStringLiteral("topic %1 has no partition %2 (it has %3)")
                    .arg(name)
                    .arg(partition)
                    .arg(partitions);
        return -1;
    }
    return partitions;
}

int flushBatch(Broker &broker, const QString &topic, int partition, PendingBatch &pending,
               std::map<int, InjectResult::Range> &ranges, QString &error)
{
    if (!pending.builder || pending.builder->count() == 0)
        return 0;
    const int records = pending.builder->count();
    QByteArray batch = pending.builder->finish();
    pending.builder.reset();
    pending.bytes = 0;
    ProduceOptions options;
    options.trusted = true; // built by RecordBatchBuilder: right by construction
    const ProduceResult appended =
        broker.produce(topic.toUtf8(), partition, std::move(batch), options);
    if (appended.error != ProduceError::None) {
        error = QStringLiteral("%1[%2]: %3").arg(topic).arg(partition).arg(appended.message);
        return -1;
    }
    InjectResult::Range &range = ranges[partition];
    range.partition = partition;
    if (range.first < 0)
        range.first = appended.baseOffset;
    range.last = appended.lastOffset;
    return records;
}

InjectResult injectMessages(Broker &broker, const InjectRequest &request, InjectProgress &progress)
{
    InjectResult result;
    QElapsedTimer timer;
    timer.start();
    const int partitions = writeTarget(broker, request.topic, request.partition, result.error);
    if (partitions < 0)
        return result;
    QList<QByteArray> values = request.values;
    if (!request.valuesFile.isEmpty() && !readLines(request.valuesFile, values, result.error))
        return result;
    if (values.isEmpty()) {
        result.error = QStringLiteral("nothing to send");
        return result;
    }
    const std::int64_t total =
        std::int64_t(values.size()) * std::max<std::int64_t>(1, request.repeat);
    progress.total.store(total);

    std::vector<Template> valueTemplates;
    for (const QByteArray &v : values)
        valueTemplates.emplace_back(v, request.placeholders);
    const std::optional<Template> keyTemplate =
        request.key ? std::optional<Template>(Template(*request.key, request.placeholders))
                    : std::nullopt;
    std::vector<Template> headerTemplates;
    for (const DecodedHeader &h : request.headers)
        headerTemplates.emplace_back(h.value, request.placeholders);

    std::map<int, PendingBatch> pending;
    std::map<int, InjectResult::Range> ranges;

    auto flush = [&](int partition, PendingBatch &p) {
        const int records = flushBatch(broker, request.topic, partition, p, ranges, result.error);
        if (records < 0)
            return false;
        result.written += records;
        progress.written.store(result.written, std::memory_order_relaxed);
        return true;
    };

    QByteArray key, value;
    std::vector<QByteArray> headerValues(headerTemplates.size());
    std::vector<HeaderView> headers(headerTemplates.size());
    int next = partitions > 0 ? request.firstPartition % partitions : 0;
    bool ok = true;
    for (std::int64_t i = 0; i < total && ok; ++i) {
        if ((i & 1023) == 0 && progress.cancel.load(std::memory_order_relaxed)) {
            result.cancelled = true;
            break;
        }
        const int partition = request.partition >= 0 ? request.partition : next;
        next = (next + 1) % partitions;
        valueTemplates[std::size_t(i % std::int64_t(valueTemplates.size()))].expand(i, value);
        if (keyTemplate)
            keyTemplate->expand(i, key);
        for (std::size_t h = 0; h < headerTemplates.size(); ++h) {
            headerTemplates[h].expand(i, headerValues[h]);
            headers[h] = {request.headers[qsizetype(h)].name, headerValues[h],
                          request.headers[qsizetype(h)].hasValue};
        }
        PendingBatch &p = pending[partition];
        if (!p.builder)
            p.builder = std::make_unique<RecordBatchBuilder>(Broker::nowMs(), kBatchRecords);
        p.builder->appendRecord(
            keyTemplate ? std::optional<QByteArrayView>(key) : std::nullopt,
            request.nullValue ? std::nullopt : std::optional<QByteArrayView>(value), headers);
        p.bytes += key.size() + value.size() + 16;
        if (p.builder->count() >= kBatchRecords || p.bytes >= kBatchBytes)
            ok = flush(partition, p);
    }
    for (auto &[partition, p] : pending)
        if (ok)
            ok = flush(partition, p);
    for (const auto &[partition, range] : ranges)
        result.ranges.append(range);
    result.nextPartition = next;
    result.elapsedMs = timer.elapsed();
    return result;
}

MessageInjector::MessageInjector(Broker &broker, QThreadPool &pool, QObject *parent)
    : QObject(parent), m_broker(broker), m_pool(pool), m_timer(new QTimer(this))
{
    m_timer->setInterval(100);
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (m_progress)
            Q_EMIT progressed(m_progress->written.load(), m_progress->total.load());
    });
}

MessageInjector::~MessageInjector()
{
    cancel();
}

void MessageInjector::start(const InjectRequest &request)
{
    if (m_progress)
        return;
    m_progress = std::make_shared<InjectProgress>();
    m_timer->start();
    Broker *broker = &m_broker;
    runOffGuiThread(
        m_pool, this,
        [broker, request, progress = m_progress] {
            return injectMessages(*broker, request, *progress);
        },
        [this](InjectResult result) {
            m_timer->stop();
            m_progress.reset();
            Q_EMIT finished(result);
        });
}

void MessageInjector::cancel()
{
    if (m_progress)
        m_progress->cancel.store(true);
}

} // namespace rivulet
