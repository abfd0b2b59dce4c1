#pragma once

// ConnectionTable: the connections of one shard. It owns them, enforces the
// shard's connection limits, frees them once their teardown is complete,
// and sends and receives connection hand-overs through the mailbox.
//
// Hand-over (docs/architecture.md, "Shards"): Connection::Handover() waits
// until the connection has nothing in flight on the old shard's ring, then
// the table posts a HandoverPayload (the fd, the bytes received but not yet
// delivered, the bytes not yet sent, and the owner's state) to the target
// shard. The target's table rebuilds the Connection around the same fd and
// gives it to the adopter registered for the hand-over's kind, which attaches
// a handler and calls Start(). If a payload is destroyed undelivered (shut
// down mid-flight), its fd is closed.
//
// Shard-local; one per shard, registered as a ShardService so that a stop
// closes every connection (the handler's OnShutdown decides how) and waits
// until all are gone.
//
// Limits: connections_max (per shard, refused at accept), and
// connections_per_address_max (per shard and source address, refused at
// accept). Adopted (handed-over) connections are never refused: they are
// already admitted elsewhere; they count toward connections_max.

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "core/shard.h"
#include "net/connection.h"

namespace ringlet {

struct ConnectionTableLimits {
  size_t connections_max = 100000;
  size_t connections_per_address_max = 100000;
  ConnectionLimits connection;
};

class ConnectionTable final : public ShardService {
 public:
  // Mailbox message type of a hand-over (net uses 16-31).
  static constexpr uint32_t kMailHandover = 16;

  using Adopter =
      absl::AnyInvocable<void(Connection& connection, std::unique_ptr<MailPayload> owner_state)>;

  // Creates the table of `shard` and registers its hand-over handler.
  ConnectionTable(Shard* shard, const ConnectionTableLimits& limits);
  ~ConnectionTable() override;

  // Wraps a connected socket in a Connection owned by this table. Returns
  // ResourceExhausted (and closes `fd`) when a limit refuses it. The
  // connection is not started: attach a handler, then Start().
  absl::StatusOr<Connection*> Admit(int fd, const SocketAddress& peer);

  // Names who receives connections handed over with `kind`.
  void SetAdopter(uint32_t kind, Adopter adopter);

  // Closes every connection: calls OnShutdown on each handler if given, or
  // closes orderly. Part of ShardService::Stop().
  void Stop() override;
  bool Idle() const override { return connections_.empty(); }

  size_t size() const { return connections_.size(); }
  Shard& shard() { return *shard_; }
  const ConnectionTableLimits& limits() const { return limits_; }
  uint64_t refused() const { return refused_; }
  uint64_t handovers_in() const { return handovers_in_; }
  uint64_t handovers_out() const { return handovers_out_; }

  // Called on every open connection when the shard stops. Default (unset):
  // Close(kOrderly).
  void SetShutdownHook(absl::AnyInvocable<void(Connection&)> hook) { shutdown_hook_ = std::move(hook); }

  // Lends the msghdr + iovecs for one send in flight; the pool keeps what
  // is returned (at most kSendBlocksKept), so blocks are reused, not
  // allocated, in steady state.
  std::unique_ptr<Connection::SendBlock> TakeSendBlock();
  void ReturnSendBlock(std::unique_ptr<Connection::SendBlock> block);
  static constexpr size_t kSendBlocksKept = 1024;

 private:
  friend class Connection;
  struct Counted {
    std::unique_ptr<Connection> connection;
    std::string address_key;
  };

  Connection* Insert(ConnId id, int fd, const SocketAddress& peer);
  // The connection is torn down: free it at the end of the turn.
  void Retire(Connection* connection);
  // The connection is quiet and wants to move: post it, forget it here.
  void Depart(Connection* connection);
  void OnHandoverMessage(MailMessage& message);

  Shard* const shard_;
  const ConnectionTableLimits limits_;
  absl::flat_hash_map<uint64_t, Counted> connections_;
  absl::flat_hash_map<std::string, uint32_t> per_address_;
  absl::flat_hash_map<uint32_t, Adopter> adopters_;
  absl::AnyInvocable<void(Connection&)> shutdown_hook_;
  std::vector<std::unique_ptr<Connection::SendBlock>> free_send_blocks_;
  uint64_t next_counter_ = 1;
  uint64_t refused_ = 0;
  uint64_t handovers_in_ = 0;
  uint64_t handovers_out_ = 0;
};

}  // namespace ringlet
