#pragma once

// Connect: opens an outgoing TCP connection on a shard's ring (for s2s links
// and for the load generator). The connect is one IORING_OP_CONNECT linked to
// a timeout; the result is a Connection admitted to the shard's table (not
// yet started) or an error. An optional source address spreads many client
// sockets over 127.0.0.0/8 (IP_BIND_ADDRESS_NO_PORT lets the kernel pick
// the port at connect time, so each source address has its own port range).
//
// Shard-local. Limits: `timeout` per attempt. Attempts are owned by the
// shard's Connector, a ShardService that cancels pending connects on Stop()
// and is idle once none is left.

#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/shard.h"
#include "net/address.h"
#include "net/connection_table.h"

namespace ringlet {

struct ConnectOptions {
  SocketAddress to;
  std::optional<SocketAddress> from;  // source address (port 0)
  absl::Duration timeout = absl::Seconds(10);
};

class Connector final : public ShardService {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<Connection*> connection)>;

  Connector(Shard* shard, ConnectionTable* table);
  ~Connector() override;

  // Starts a connect. `done` runs later on this shard, exactly once (with
  // Cancelled if the shard stops first). Errors from socket()/bind() are
  // reported the same way, never thrown at the caller.
  void Connect(const ConnectOptions& options, Callback done);

  size_t pending() const { return pending_.size(); }
  void Stop() override;
  bool Idle() const override { return pending_.empty(); }

 private:
  class Attempt;
  void Finish(Attempt* attempt, absl::StatusOr<Connection*> result);

  Shard* const shard_;
  ConnectionTable* const table_;
  absl::flat_hash_map<Attempt*, std::unique_ptr<Attempt>> pending_;
};

}  // namespace ringlet
