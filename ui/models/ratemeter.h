#pragma once

#include <cstdint>

namespace rivulet {

// Turns a cumulative counter, read from successive snapshots, into a per-second rate. The
// rate is measured over at least windowMs so that a 4 Hz refresh does not make it jitter;
// between measurements the last rate stands, unless the counter has not moved for a whole
// window: then nothing happened in the last window and the rate is 0.
struct RateMeter
{
    std::int64_t baseValue = 0;
    std::int64_t baseMs = -1;
    std::int64_t lastValue = 0;
    std::int64_t lastChangeMs = -1;
    double perSecond = 0;

    // Returns true when perSecond changed.
    bool update(std::int64_t value, std::int64_t nowMs, std::int64_t windowMs = 1000)
    {
        // first reading, or the counter started again (a topic deleted and re-created)
        if (baseMs < 0 || value < baseValue)
            return restart(value, nowMs);
        if (value != lastValue) {
            lastValue = value;
            lastChangeMs = nowMs;
        } else if (nowMs - lastChangeMs >= windowMs) {
            return restart(value, nowMs);
        }
        const std::int64_t elapsed = nowMs - baseMs;
        if (elapsed < windowMs)
            return false;
        const double rate = double(value - baseValue) * 1000.0 / double(elapsed);
        baseValue = value;
        baseMs = nowMs;
        if (rate == perSecond)
            return false;
        perSecond = rate;
        return true;
    }

    // Measures from value at nowMs on, with no rate until a window has passed: what the
    // counter did before (or a jump, such as a reset of a group's offsets) does not count.
    bool restart(std::int64_t value, std::int64_t nowMs)
    {
        const bool changed = perSecond != 0;
        baseValue = lastValue = value;
        baseMs = lastChangeMs = nowMs;
        perSecond = 0;
        return changed;
    }
};

} // namespace rivulet
