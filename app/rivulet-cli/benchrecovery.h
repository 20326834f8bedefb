#pragma once

#include "benchworkload.h"

// `rivulet-cli bench --recovery`: how fast a broker holding a big log starts after a clean
// stop and after kill -9, and how much memory it needs to hold the log and to serve it.
namespace cli::bench {

int runRecovery(const Options &options, int runs);

} // namespace cli::bench
