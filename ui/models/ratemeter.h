#pragma once

#include <cstdint>

namespace rivulet {

// Turns a cumulative counter, read from successive snapshots, into a per-second rate. The
// rate is measured over at least windowMs so that a 4 Hz refresh does not make it jitter;
// between measurements the last rate stands.
struct RateMeter
{
    std::int64_t baseValue = 0;
    std::int64_t baseMs = -1;
    double perSecond = 0;

    // Returns true when perSecond changed.
    bool update(std::int64_t value, std::int64_t nowMs, std::int64_t windowMs = 1000)
    {
        if (baseMs < 0 || value < baseValue) {
            // first reading, or the counter started again (a topic deleted and re-created)
            const bool changed = perSecond != 0;
            baseValue = value;
            baseMs = nowMs;
            perSecond = 0;
            return changed;
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
};

} // namespace rivulet
