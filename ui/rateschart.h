#pragma once

#include "monitor/ratehistory.h"

#include <QWidget>

#include <vector>

namespace rivulet {

// Messages (or bytes) per second in and out over the last minutes, for the whole broker
// and for one topic, drawn with QPainter in the system palette's colours. The samples come
// from the broker's rate history, one a second. Hovering shows the values at that moment.
class RatesChart : public QWidget
{
    Q_OBJECT
public:
    enum class Metric
    {
        Messages,
        Bytes
    };

    explicit RatesChart(QWidget *parent = nullptr);

    void setBrokerRates(std::vector<RateSample> samples);
    // An empty topic shows the broker alone.
    void setTopicRates(const QString &topic, std::vector<RateSample> samples);
    QString topic() const { return m_topic; }
    void setSpanSeconds(int seconds);
    int spanSeconds() const { return m_spanSeconds; }
    void setMetric(Metric metric);
    Metric metric() const { return m_metric; }
    std::int64_t latestSampleMs() const;
    // A cluster's rates are messages in only: its clients see end offsets grow, not bytes
    // nor what other clients read. The chart then draws no "out" lines and offers no bytes.
    void setInOnly(bool inOnly);
    bool inOnly() const { return m_inOnly; }

    // The line above the plot: "Rates · messages/s" (or bytes/s), or only the unit when the
    // legend leaves no room for more; the legend then cuts a long topic name in its middle.
    QString heading() const;

    QSize sizeHint() const override { return {640, 200}; }
    QSize minimumSizeHint() const override { return {240, 120}; }

Q_SIGNALS:
    void spanChanged(int seconds);
    void metricChanged(rivulet::RatesChart::Metric metric);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    struct Series
    {
        QString label;
        QColor color;
        bool dashed = false;
        bool filled = false;
        const std::vector<RateSample> *samples = nullptr;
        bool in = true;
    };
    std::vector<Series> series() const;
    // How wide the legend of these series is drawn, and the heading beside it.
    int legendWidth(const std::vector<Series> &all) const;
    QString heading(const std::vector<Series> &all) const;
    double value(const RateSample &s, bool in) const;

    std::vector<RateSample> m_broker;
    std::vector<RateSample> m_topicSamples;
    QString m_topic;
    int m_spanSeconds = 300;
    Metric m_metric = Metric::Messages;
    bool m_inOnly = false;
    int m_hoverX = -1;
};

} // namespace rivulet
