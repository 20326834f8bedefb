#include "ratehistory.h"

#include "log/topicregistry.h"
#include "monitor/snapshot.h"

namespace rivulet {

void RateHistory::push(Series &series, const Totals &now, std::int64_t nowMs,
                       std::int64_t previousMs)
{
    const double seconds = double(nowMs - previousMs) / 1000.0;
    RateSample s;
    s.timeMs = nowMs;
    if (previousMs > 0 && seconds > 0) {
        s.messagesIn = double(now.messagesIn - series.last.messagesIn) / seconds;
        s.messagesOut = double(now.messagesOut - series.last.messagesOut) / seconds;
        s.bytesIn = double(now.bytesIn - series.last.bytesIn) / seconds;
        s.bytesOut = double(now.bytesOut - series.last.bytesOut) / seconds;
    }
    series.last = now;
    series.samples.push_back(s);
    while (series.samples.size() > kCapacity)
        series.samples.pop_front();
}

void RateHistory::add(Totals &to, const Totals &more)
{
    to.messagesIn += more.messagesIn;
    to.messagesOut += more.messagesOut;
    to.bytesIn += more.bytesIn;
    to.bytesOut += more.bytesOut;
}

void RateHistory::sample(const TopicRegistry &registry, std::int64_t nowMs)
{
    QHash<QString, Totals> perTopic;
    for (const auto &topic : registry.topics()) {
        Totals &t = perTopic[topic->name()];
        for (int i = 0; i < topic->partitionCount(); ++i) {
            const PartitionStats s = topic->partition(i)->stats();
            add(t, {s.recordsIn, s.recordsOut, s.bytesIn, s.bytesOut});
        }
    }
    record(perTopic, nowMs);
}

void RateHistory::sample(const BrokerSnapshot &snapshot, std::int64_t nowMs)
{
    // an unknown counter (-1, a cluster's) adds nothing, whatever the partition count
    const auto known = [](std::int64_t v) { return std::max<std::int64_t>(v, 0); };
    QHash<QString, Totals> perTopic;
    for (const TopicSnapshot &topic : snapshot.topics) {
        Totals &t = perTopic[topic.name];
        for (const PartitionSnapshot &p : topic.partitions)
            add(t, {known(p.stats.recordsIn), known(p.stats.recordsOut), known(p.stats.bytesIn),
                    known(p.stats.bytesOut)});
    }
    record(perTopic, nowMs);
}

void RateHistory::record(const QHash<QString, Totals> &perTopic, std::int64_t nowMs)
{
    Totals total;
    for (const Totals &t : perTopic)
        add(total, t);
    std::lock_guard lock(m_mutex);
    // Counters of a deleted topic leave the total: restart the total's baseline so the
    // drop does not show as a negative rate.
    bool topicGone = false;
    for (auto it = m_topics.begin(); it != m_topics.end();) {
        if (!perTopic.contains(it.key())) {
            it = m_topics.erase(it);
            topicGone = true;
        } else {
            ++it;
        }
    }
    if (topicGone)
        m_total.last = total;
    push(m_total, total, nowMs, topicGone ? 0 : m_lastMs);
    for (auto it = perTopic.cbegin(); it != perTopic.cend(); ++it) {
        const bool known = m_topics.contains(it.key());
        Series &series = m_topics[it.key()];
        push(series, it.value(), nowMs, known ? m_lastMs : 0);
    }
    m_lastMs = nowMs;
}

std::int64_t RateHistory::lastSampleMs() const
{
    std::lock_guard lock(m_mutex);
    return m_lastMs;
}

std::vector<RateSample> RateHistory::total() const
{
    std::lock_guard lock(m_mutex);
    return {m_total.samples.begin(), m_total.samples.end()};
}

std::vector<RateSample> RateHistory::topic(const QString &name) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_topics.constFind(name);
    if (it == m_topics.cend())
        return {};
    return {it->samples.begin(), it->samples.end()};
}

} // namespace rivulet
