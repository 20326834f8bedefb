#pragma once

#include <QHash>
#include <QString>

#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace rivulet {

class TopicRegistry;
struct BrokerSnapshot;

// Messages and bytes per second over one sampling interval.
struct RateSample
{
    std::int64_t timeMs = 0;
    double messagesIn = 0;
    double messagesOut = 0;
    double bytesIn = 0;
    double bytesOut = 0;
};

// Rates over the last minutes, for the whole broker and per topic, sampled by the broker's
// housekeeping thread once a second so the history exists before any window opens.
class RateHistory
{
public:
    static constexpr std::size_t kCapacity = 600; // ten minutes at one sample a second

    // Reads the cumulative counters of every partition and records the rates since the
    // previous call.
    void sample(const TopicRegistry &registry, std::int64_t nowMs);
    // The same from a snapshot's partition counters (a Kafka cluster's source fills
    // recordsIn from end-offset growth; the other counters stay zero there).
    void sample(const BrokerSnapshot &snapshot, std::int64_t nowMs);
    // When the last sample was taken (0: never).
    std::int64_t lastSampleMs() const;

    std::vector<RateSample> total() const;
    std::vector<RateSample> topic(const QString &name) const;

private:
    struct Totals
    {
        std::int64_t messagesIn = 0, messagesOut = 0, bytesIn = 0, bytesOut = 0;
    };
    struct Series
    {
        Totals last;
        std::deque<RateSample> samples;
    };
    static void push(Series &series, const Totals &now, std::int64_t nowMs,
                     std::int64_t previousMs);
    static void add(Totals &to, const Totals &more);
    // Records the rates since the previous call from the counters read now, by topic.
    void record(const QHash<QString, Totals> &perTopic, std::int64_t nowMs);

    mutable std::mutex m_mutex;
    std::int64_t m_lastMs = 0;
    Series m_total;
    QHash<QString, Series> m_topics;
};

} // namespace rivulet
