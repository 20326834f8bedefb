#pragma once

#include "benchworkload.h"

// `rivulet-cli bench --partition-scale N`: a broker with N partitions (topics of up to
// 10,000): how long creating them takes, producing one record to each, a clean stop, a start
// holding them and reading the record back from each; descriptors and RSS along the way.
namespace cli::bench {

int runPartitionScale(const Options &options, int partitions);

} // namespace cli::bench
