#pragma once

// Connection: one stream socket on a shard's ring (docs/architecture.md,
// "I/O on the ring").
//
// - Receive: one multishot recv into the shard's provided buffers, so an
//   idle connection holds no receive buffer. Received bytes are handed to the
//   ConnectionHandler as a view that is valid only during OnReceive(); the
//   buffer goes back to the kernel right after. A receive ended by -ENOBUFS
//   (all buffers lent) is re-armed at the end of the turn.
// - Send: Send() appends owned bytes to a queue; the queue is flushed once
//   per loop turn with one sendmsg of up to kIovecsPerSend chunks; one send is
//   in flight at a time (its iovecs borrowed from the shard's pool, so an
//   idle connection holds none) and later bytes wait for the next turn.
// - Back-pressure: PauseReading() cancels the receive; ResumeReading() arms
//   it again. Nothing already received is lost.
// - Close: Close(kOrderly) sends what is queued, then shuts down its write
//   side and keeps reading (discarding) until the peer closes too, so that
//   unread input never turns the close into a reset that could destroy our
//   last bytes; all of it bounded by close_timeout, after which it aborts.
//   Close(kAbort) drops the queue, stops reading and resets.
//   The fd is closed, and OnClosed() called, only after every operation the
//   connection has on the ring has completed; the object is freed at the end
//   of that loop turn.
// - Hand-over: Handover() moves the connection to another shard (see
//   net/connection_table.h). Bytes received while the receive is being
//   cancelled are carried along and delivered first on the new shard, and
//   unsent bytes are sent from there: nothing is lost or duplicated.
// - Idle timeout: a connection with no received bytes for `idle_timeout`
//   is closed (orderly) with a DeadlineExceeded reason; the handler may
//   instead be told first through OnIdle() and keep it.
//
// Shard-local: created, used and destroyed on one shard (its ConnectionTable
// owns it); moved between shards only by hand-over, as an fd plus state.
// Limits (ConnectionLimits): bytes queued for sending, idle timeout, close
// timeout.

#include <sys/socket.h>
#include <sys/uio.h>

#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mailbox.h"
#include "core/ring.h"
#include "core/shard.h"
#include "core/timer_queue.h"
#include "net/address.h"
#include "net/conn_id.h"

namespace ringlet {

class Connection;
class ConnectionTable;

// The protocol side of a connection. Called on the connection's shard.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Bytes arrived, in order. `bytes` is valid only during the call: copy
  // what must outlive it. The handler may Send(), Close() or Handover().
  virtual void OnReceive(Connection& connection, std::string_view bytes) = 0;
  // The connection is closed and about to be freed; `reason` is OK for an
  // orderly close by either side. This is the last call for it.
  virtual void OnClosed(Connection& connection, const absl::Status& reason) = 0;
  // The connection has left for another shard; the handler is no longer
  // referenced by it. Default: nothing.
  virtual void OnHandedOver(Connection& connection) {}
  // No bytes for idle_timeout. Return true to keep the connection (e.g. after
  // sending a ping); false closes it. Default: close.
  virtual bool OnIdle(Connection& connection) { return false; }
};

struct ConnectionLimits {
  size_t send_queue_bytes_max = 1 << 20;
  absl::Duration idle_timeout = absl::Minutes(5);
  absl::Duration close_timeout = absl::Seconds(5);
};

enum class CloseMode { kOrderly, kAbort };

class Connection final : public RingClient, public TurnWork {
 public:
  static constexpr int kIovecsPerSend = 64;

  // The msghdr and iovecs of one sendmsg in flight. Lent by the shard's
  // ConnectionTable for the duration of a send, so that an idle connection
  // holds none (1 KiB each; bench/RESULTS.md, idle memory).
  struct SendBlock {
    msghdr message;
    iovec iovecs[kIovecsPerSend];
  };

  // Only the ConnectionTable destroys connections, after their teardown.
  ~Connection();

  ConnId id() const { return id_; }
  int fd() const { return fd_; }
  Shard& shard() { return *shard_; }
  const SocketAddress& peer() const { return peer_; }
  bool open() const { return state_ == State::kOpen; }
  size_t queued_bytes() const { return queued_bytes_; }
  // Bytes Send() accepts before the queue is full (send_queue_bytes_max).
  size_t send_room() const { return limits_.send_queue_bytes_max - queued_bytes_; }
  bool reading_paused() const { return reading_paused_; }
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t bytes_sent() const { return bytes_sent_; }

  void set_handler(ConnectionHandler* handler) { handler_ = handler; }
  ConnectionHandler* handler() const { return handler_; }

  // Starts receiving. Bytes carried over from a hand-over are delivered
  // first, at the end of this turn. Call once, after set_handler().
  void Start();

  // Queues `bytes` for sending this turn. Returns ResourceExhausted (and
  // queues nothing) if that would exceed send_queue_bytes_max, and
  // FailedPrecondition if the connection is closing.
  absl::Status Send(std::string bytes);
  absl::Status Send(std::string_view bytes) { return Send(std::string(bytes)); }

  // Calls `done(true)` once every byte queued so far has been written to
  // the socket (accepted by the kernel), or `done(false)` if the connection
  // closes or leaves the shard first. Never called from inside this call:
  // at the earliest at the end of the turn. Used to delete what was
  // delivered only once it left (offline messages); bounded by what the
  // caller queues (one entry per call).
  void NotifyWhenSent(absl::AnyInvocable<void(bool sent)> done);

  void PauseReading();
  void ResumeReading();

  // Acknowledges what was received at once instead of after the kernel's
  // delayed-ACK timer (TCP_QUICKACK, up to ~40 ms on Linux). For a protocol
  // step that completes on the peer's bytes with nothing to send back, when
  // the peer (with Nagle's algorithm on) holds its next bytes until our ACK.
  void AckNow();

  // Closes the connection (see the class comment). Idempotent; an abort
  // overrides an orderly close in progress.
  void Close(CloseMode mode, absl::Status reason = absl::OkStatus());

  // Moves the connection to shard `to`, where the adopter registered for
  // `kind` (ConnectionTable::SetAdopter) receives it with `owner_state`.
  // The handler gets OnHandedOver() once the connection has left.
  void Handover(ShardId to, uint32_t kind, std::unique_ptr<MailPayload> owner_state);

  void OnCompletion(const Completion& completion) override;
  void RunTurnWork() override;

 private:
  friend class ConnectionTable;
  enum class State { kOpen, kHandingOver, kClosing, kDone };
  enum Op : uint32_t { kOpRecv = 1, kOpSend = 2 };

  Connection(ConnectionTable* table, Shard* shard, ConnId id, int fd, SocketAddress peer,
             const ConnectionLimits& limits);
  void ArmRecv();
  void FlushSend();
  void OnRecv(const Completion& completion);
  void OnSend(const Completion& completion);
  void MaybeFinish();
  // Runs the NotifyWhenSent callbacks whose bytes are all sent (or all of
  // them with false when `failed`).
  void RunSentWaiters(bool failed);
  void ArmIdleTimer();
  void OnIdleTimer();

  ConnectionTable* const table_;
  Shard* const shard_;
  const ConnId id_;
  int fd_;
  const SocketAddress peer_;
  const ConnectionLimits limits_;
  ConnectionHandler* handler_ = nullptr;
  State state_ = State::kOpen;
  CloseMode close_mode_ = CloseMode::kOrderly;
  absl::Status close_reason_;

  bool started_ = false;
  bool recv_armed_ = false;
  OpToken recv_token_ = 0;
  bool recv_cancel_sent_ = false;
  bool reading_paused_ = false;
  bool rearm_recv_ = false;
  bool peer_closed_ = false;
  bool write_shut_down_ = false;

  std::deque<std::string> send_queue_;
  size_t send_front_offset_ = 0;
  size_t queued_bytes_ = 0;
  bool send_in_flight_ = false;
  OpToken send_token_ = 0;
  std::unique_ptr<SendBlock> send_block_;  // only while a send is in flight
  struct SentWaiter {
    uint64_t mark;  // bytes_sent_ at which everything before it is out
    absl::AnyInvocable<void(bool)> done;
  };
  std::deque<SentWaiter> sent_waiters_;

  // Bytes received but not yet delivered: carried over by a hand-over.
  std::string carry_;

  // Hand-over request, kept until the ring is quiet.
  ShardId handover_to_;
  uint32_t handover_kind_ = 0;
  std::unique_ptr<MailPayload> handover_state_;

  TimerId idle_timer_ = kNoTimer;
  TimerId close_timer_ = kNoTimer;
  absl::Time last_receive_;
  uint64_t bytes_received_ = 0;
  uint64_t bytes_sent_ = 0;
};

}  // namespace ringlet
