#pragma once

// Blocking socket helpers for tests that play the peer of a shard.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/address.h"

namespace ringlet::testing {

// Connects a blocking TCP socket to `to`, optionally from source `from`.
absl::StatusOr<int> ConnectBlocking(const SocketAddress& to, const char* from = nullptr);

// Writes all of `bytes`.
absl::Status WriteAll(int fd, std::string_view bytes);

// Reads until `count` bytes have arrived, EOF, or `timeout`. Returns what
// arrived (possibly fewer bytes on EOF or timeout).
std::string ReadAtMost(int fd, size_t count, absl::Duration timeout);

// Returns true if the peer closed (EOF or reset) within `timeout`.
bool WaitForClose(int fd, absl::Duration timeout);

}  // namespace ringlet::testing
