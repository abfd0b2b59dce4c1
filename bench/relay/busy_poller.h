#pragma once

// BusyPoller keeps its shard from sleeping: it is scheduled as turn work
// every turn, so the shard's loop submits and reaps without ever waiting in
// io_uring_enter. A diagnostic for the relay benchmark (it separates the
// cost of sleeping and waking from the cost of the I/O), never a production
// mode: it burns a core.

#include "core/shard.h"

namespace ringlet::relay {

class BusyPoller final : public TurnWork {
 public:
  // Starts on `shard` at once; stops re-arming when the shard stops. Must be
  // destroyed after the shard's loop has ended.
  explicit BusyPoller(Shard* shard) : shard_(shard) { shard_->ScheduleTurnWork(this); }
  void RunTurnWork() override {
    if (!shard_->stopping()) shard_->ScheduleTurnWork(this);
  }

 private:
  Shard* const shard_;
};

}  // namespace ringlet::relay
