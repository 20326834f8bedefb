#pragma once

namespace rivulet {

// Raises this process's soft RLIMIT_NOFILE to its hard limit, so that a broker (or a bench
// holding thousands of connections) is bounded by what the system allows rather than by the
// 1,024 a shell usually starts with. Returns the soft limit in force afterwards (-1 if it
// cannot be read; RLIM_INFINITY comes back as the largest int).
int raiseDescriptorLimit();

} // namespace rivulet
