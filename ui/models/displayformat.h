#pragma once

#include <QLocale>
#include <QString>

#include <cstdint>

// How numbers, sizes, rates and times read in the window: exact counts with thousands
// separators, sizes in KiB/MiB, ages relative to the snapshot ("3 s ago").
namespace rivulet::display {

// The user's locale, or English digit grouping when the system asks for none (the C locale).
const QLocale &locale();

QString count(std::int64_t n);
// "1 topic", "3 topics": a count and its noun (English plural: the one given).
QString count(std::int64_t n, const QString &one, const QString &many);
// Messages per second: whole numbers from 100 up, one decimal below, "0" for none.
QString rate(double perSecond);
// A size; a negative one is unknown (a Kafka cluster does not tell its clients): "—".
QString bytes(std::int64_t n);
QString byteRate(double perSecond);
// "now", "4 s ago", "3 min ago", "2 h ago", "5 d ago"; empty for 0 (never).
QString age(std::int64_t thenMs, std::int64_t nowMs);
// "14:03:12.517" today, "2024-05-01 14:03:12" on another day.
QString timestamp(std::int64_t ms, std::int64_t nowMs);
// "14:03:12" today, "2024-05-01 14:03" on another day.
QString clock(std::int64_t ms, std::int64_t nowMs);
// Compact axis labels: 950, 1.2k, 35k, 4.5M.
QString compact(double value);

} // namespace rivulet::display
