#pragma once

// Listener: one listening socket of one shard. Every shard opens its own
// socket on the same address with SO_REUSEPORT, so the kernel spreads new
// connections over the shards. Accepting is one multishot accept on the
// shard's ring; each accepted socket is admitted by the shard's
// ConnectionTable (which enforces the connection limits) and handed to the
// accept callback, which attaches a handler and calls Start().
//
// If the multishot accept ends (e.g. EMFILE when the process is out of
// descriptors), it is re-armed after `rearm_delay` and the error is logged
// once per occurrence: the listener never spins and never dies silently.
//
// Shard-local; a ShardService: Stop() cancels the accept and closes the
// socket, Idle() once the accept's final completion has arrived.

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/shard.h"
#include "net/address.h"
#include "net/connection_table.h"

namespace ringlet {

struct ListenerOptions {
  SocketAddress address;
  int backlog = 4096;
  absl::Duration rearm_delay = absl::Milliseconds(100);
};

class Listener final : public ShardService, public RingClient {
 public:
  using AcceptCallback = absl::AnyInvocable<void(Connection& connection)>;

  // Opens, binds and listens (SO_REUSEPORT), and arms the accept.
  static absl::StatusOr<std::unique_ptr<Listener>> Create(Shard* shard, ConnectionTable* table,
                                                          const ListenerOptions& options,
                                                          AcceptCallback on_accept);
  ~Listener() override;

  // The bound address (with the real port when port 0 was asked for).
  const SocketAddress& local_address() const { return local_address_; }
  uint64_t accepted() const { return accepted_; }

  void Stop() override;
  bool Idle() const override { return !accept_armed_; }
  void OnCompletion(const Completion& completion) override;

 private:
  Listener(Shard* shard, ConnectionTable* table, const ListenerOptions& options,
           AcceptCallback on_accept);
  void ArmAccept();

  Shard* const shard_;
  ConnectionTable* const table_;
  const ListenerOptions options_;
  AcceptCallback on_accept_;
  int fd_ = -1;
  SocketAddress local_address_;
  bool accept_armed_ = false;
  bool stopped_ = false;
  OpToken accept_token_ = 0;
  TimerId rearm_timer_ = kNoTimer;
  uint64_t accepted_ = 0;
};

}  // namespace ringlet
