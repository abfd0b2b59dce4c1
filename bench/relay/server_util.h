#pragma once

// Start-up and shut-down helpers shared by the two relay servers, so that
// both are driven the same way by run_relay.sh and the smoke test.

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/address.h"

namespace ringlet::relay {

// A port held for the servers' SO_REUSEPORT listeners when "--listen" asks
// for port 0: the socket is bound (with SO_REUSEPORT) but never listens, so
// it takes no connections, and every worker's listener can bind the same
// port. Closes its socket when destroyed.
class PortReservation {
 public:
  // Binds `address`; if its port is 0, the kernel picks one.
  static absl::StatusOr<PortReservation> Create(const SocketAddress& address);
  // Parses a "HOST:PORT" flag value, then Create()s.
  static absl::StatusOr<PortReservation> Parse(const std::string& text);
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&&) = delete;
  ~PortReservation();
  // The address with the real port.
  const SocketAddress& address() const { return address_; }

 private:
  PortReservation() = default;
  int fd_ = -1;
  SocketAddress address_;
};

// Blocks SIGINT and SIGTERM in the calling thread (and in threads it starts
// later), so that WaitForStopSignal() can take them synchronously.
void BlockStopSignals();

// Returns when SIGINT or SIGTERM arrives or, if `duration` is positive, once
// it has passed.
void WaitForStopSignal(absl::Duration duration);

// Writes "listening on ADDRESS" to stdout and, if `port_file` is not empty,
// the port number to that file (written to a temporary name and renamed, so
// a reader never sees it half-written).
absl::Status AnnounceAddress(const SocketAddress& address, const std::string& port_file);


}  // namespace ringlet::relay
