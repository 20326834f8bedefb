#pragma once

// How long a test waits for anything (a process, a connection, a reply) before it gives up:
// generous, because the machines running the tests are shared.

namespace rivulet::testsupport {

constexpr int kTimeoutMs = 30000;

} // namespace rivulet::testsupport
