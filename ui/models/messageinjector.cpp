#include "messageinjector.h"

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

int writeTarget(ClusterSource &source, const QString &name, int partition, QString &error)
{
    const int partitions = source.partitionCount(name.toUtf8());
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

int flushBatch(ClusterSource &source, const QString &topic, int partition, PendingBatch &pending,
               std::map<int, InjectResult::Range> &ranges, QString &error, std::int64_t *written)
{
    if (pending.records.isEmpty())
        return 0;
    const QList<OutgoingRecord> records = std::exchange(pending.records, {});
    pending.bytes = 0;
    const WriteResult stored = source.produce(topic.toUtf8(), partition, records);
    if (stored.written > 0) {
        InjectResult::Range &range = ranges[partition];
        range.partition = partition;
        if (range.first < 0)
            range.first = stored.baseOffset;
        range.last = stored.lastOffset;
    }
    if (written)
        *written += stored.written;
    if (!stored.error.isEmpty()) {
        error = QStringLiteral("%1[%2]: %3").arg(topic).arg(partition).arg(stored.error);
        return -1;
    }
    return int(stored.written);
}

InjectResult injectMessages(ClusterSource &source, const InjectRequest &request,
                            InjectProgress &progress)
{
    InjectResult result;
    QElapsedTimer timer;
    timer.start();
    const int partitions = writeTarget(source, request.topic, request.partition, result.error);
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
        const bool ok = flushBatch(source, request.topic, partition, p, ranges, result.error,
                                   &result.written) >= 0;
        progress.written.store(result.written, std::memory_order_relaxed);
        return ok;
    };

    QByteArray key, value;
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
        OutgoingRecord record;
        if (keyTemplate)
            record.key = key;
        if (!request.nullValue)
            record.value = value;
        record.headers.reserve(qsizetype(headerTemplates.size()));
        for (std::size_t h = 0; h < headerTemplates.size(); ++h) {
            const DecodedHeader &header = request.headers[qsizetype(h)];
            QByteArray headerValue;
            if (header.hasValue)
                headerTemplates[h].expand(i, headerValue);
            record.headers.append({header.name, headerValue, header.hasValue});
        }
        PendingBatch &p = pending[partition];
        p.bytes += key.size() + value.size() + 16;
        p.records.append(std::move(record));
        if (p.records.size() >= kBatchRecords || p.bytes >= kBatchBytes)
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

MessageInjector::MessageInjector(ClusterSource &source, QThreadPool &pool, QObject *parent)
    : QObject(parent), m_source(source), m_pool(pool), m_timer(new QTimer(this))
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
    ClusterSource *source = &m_source;
    runOffGuiThread(
        m_pool, this,
        [source, request, progress = m_progress] {
            return injectMessages(*source, request, *progress);
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
