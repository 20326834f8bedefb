#include "displayformat.h"

#include <QDateTime>

#include <cmath>

namespace rivulet::display {

const QLocale &locale()
{
    static const QLocale chosen = [] {
        QLocale system;
        if (system.language() == QLocale::C)
            return QLocale(QLocale::English, QLocale::UnitedStates);
        return system;
    }();
    return chosen;
}

QString count(std::int64_t n)
{
    return locale().toString(qlonglong(n));
}

QString count(std::int64_t n, const QString &one, const QString &many)
{
    return count(n) + QLatin1Char(' ') + (n == 1 ? one : many);
}

QString rate(double perSecond)
{
    if (perSecond <= 0)
        return QStringLiteral("0");
    if (perSecond >= 100)
        return locale().toString(qlonglong(std::llround(perSecond)));
    return locale().toString(perSecond, 'f', 1);
}

QString bytes(std::int64_t n)
{
    if (n < 0)
        return QStringLiteral("—");
    if (n < 1024)
        return locale().toString(qlonglong(n)) + QStringLiteral(" B");
    return locale().formattedDataSize(n, 1);
}

QString byteRate(double perSecond)
{
    if (perSecond <= 0)
        return QStringLiteral("0");
    return bytes(std::int64_t(std::llround(perSecond))) + QStringLiteral("/s");
}

QString age(std::int64_t thenMs, std::int64_t nowMs)
{
    if (thenMs <= 0)
        return {};
    const std::int64_t seconds = std::max<std::int64_t>(0, (nowMs - thenMs) / 1000);
    if (seconds < 1)
        return QStringLiteral("now");
    if (seconds < 60)
        return QStringLiteral("%1 s ago").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min ago").arg(seconds / 60);
    if (seconds < 86400)
        return QStringLiteral("%1 h ago").arg(seconds / 3600);
    return QStringLiteral("%1 d ago").arg(seconds / 86400);
}

QString timestamp(std::int64_t ms, std::int64_t nowMs)
{
    if (ms <= 0)
        return {};
    const QDateTime then = QDateTime::fromMSecsSinceEpoch(ms);
    if (then.date() == QDateTime::fromMSecsSinceEpoch(nowMs).date())
        return then.toString(QStringLiteral("HH:mm:ss.zzz"));
    return then.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString clock(std::int64_t ms, std::int64_t nowMs)
{
    if (ms <= 0)
        return {};
    const QDateTime then = QDateTime::fromMSecsSinceEpoch(ms);
    if (then.date() == QDateTime::fromMSecsSinceEpoch(nowMs).date())
        return then.toString(QStringLiteral("HH:mm:ss"));
    return then.toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString compact(double value)
{
    const double a = std::abs(value);
    auto scaled = [&](double unit, const char *suffix) {
        const double v = value / unit;
        const int decimals = std::abs(v) < 10 && std::abs(v - std::round(v)) > 1e-9 ? 1 : 0;
        return QString::number(v, 'f', decimals) + QLatin1String(suffix);
    };
    if (a >= 1e9)
        return scaled(1e9, "G");
    if (a >= 1e6)
        return scaled(1e6, "M");
    if (a >= 1e3)
        return scaled(1e3, "k");
    if (a > 0 && a < 10 && std::abs(value - std::round(value)) > 1e-9)
        return QString::number(value, 'f', 1);
    return QString::number(std::llround(value));
}

} // namespace rivulet::display
