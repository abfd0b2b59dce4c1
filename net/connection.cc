#include "net/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "core/check.h"
#include "core/log.h"
#include "net/connection_table.h"

namespace ringlet {

Connection::Connection(ConnectionTable* table, Shard* shard, ConnId id, int fd,
                       SocketAddress peer, const ConnectionLimits& limits)
    : table_(table), shard_(shard), id_(id), fd_(fd), peer_(std::move(peer)), limits_(limits) {}

Connection::~Connection() {
  CHECK_MSG(!turn_work_scheduled_, "connection freed while scheduled for turn work");
  if (idle_timer_ != kNoTimer) shard_->timers().Cancel(idle_timer_);
  if (close_timer_ != kNoTimer) shard_->timers().Cancel(close_timer_);
  // Only reached with an open fd when the shard is torn down past its
  // shutdown timeout.
  if (fd_ >= 0) close(fd_);
}

void Connection::Start() {
  CHECK(!started_);
  CHECK(handler_ != nullptr);
  started_ = true;
  last_receive_ = shard_->now();
  ArmIdleTimer();
  if (!reading_paused_) ArmRecv();
  // Carried bytes (from a hand-over) and carried sends go out this turn,
  // before any new completion is dispatched.
  if (!carry_.empty() || !send_queue_.empty()) shard_->ScheduleTurnWork(this);
}

void Connection::ArmRecv() {
  DCHECK(!recv_armed_);
  io_uring_sqe* sqe = shard_->ring().Prepare(this, kOpRecv, &recv_token_);
  io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = shard_->recv_buffers().group_id();
  recv_armed_ = true;
  recv_cancel_sent_ = false;
  rearm_recv_ = false;
}

absl::Status Connection::Send(std::string bytes) {
  if (state_ != State::kOpen) {
    return absl::FailedPreconditionError("connection is closing or leaving this shard");
  }
  if (queued_bytes_ + bytes.size() > limits_.send_queue_bytes_max) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "send queue would exceed %u bytes", static_cast<unsigned>(limits_.send_queue_bytes_max)));
  }
  if (bytes.empty()) return absl::OkStatus();
  queued_bytes_ += bytes.size();
  send_queue_.push_back(std::move(bytes));
  shard_->ScheduleTurnWork(this);
  return absl::OkStatus();
}

void Connection::NotifyWhenSent(absl::AnyInvocable<void(bool sent)> done) {
  if (state_ != State::kOpen) {
    // Not from inside this call: the caller may hold state it is changing.
    shard_->RunAfterTurnWork([done = std::move(done)]() mutable { done(false); });
    return;
  }
  sent_waiters_.push_back(SentWaiter{bytes_sent_ + queued_bytes_, std::move(done)});
  shard_->ScheduleTurnWork(this);
}

void Connection::RunSentWaiters(bool failed) {
  while (!sent_waiters_.empty() && (failed || sent_waiters_.front().mark <= bytes_sent_)) {
    auto done = std::move(sent_waiters_.front().done);
    sent_waiters_.pop_front();
    done(!failed);
  }
}

void Connection::AckNow() {
  if (fd_ < 0) return;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

void Connection::PauseReading() {
  if (reading_paused_) return;
  reading_paused_ = true;
  if (recv_armed_ && !recv_cancel_sent_) {
    shard_->ring().CancelOp(recv_token_);
    recv_cancel_sent_ = true;
  }
}

void Connection::ResumeReading() {
  if (!reading_paused_) return;
  reading_paused_ = false;
  if (state_ == State::kOpen && started_) {
    rearm_recv_ = true;
    shard_->ScheduleTurnWork(this);
  }
}

void Connection::Close(CloseMode mode, absl::Status reason) {
  if (state_ == State::kDone) return;
  if (state_ == State::kClosing && (close_mode_ == CloseMode::kAbort || mode == CloseMode::kOrderly)) {
    return;
  }
  if (state_ == State::kHandingOver) {
    // The hand-over state owns the handler (e.g. a session on its way to
    // its home shard): it must not be called again, and it may be the
    // caller, so it is freed only after this turn.
    handler_ = nullptr;
    shard_->RunAfterTurnWork([state = std::move(handover_state_)]() mutable { state.reset(); });
  }
  state_ = State::kClosing;
  close_mode_ = mode;
  if (close_reason_.ok()) close_reason_ = std::move(reason);
  if (idle_timer_ != kNoTimer) {
    shard_->timers().Cancel(idle_timer_);
    idle_timer_ = kNoTimer;
  }
  // An orderly close keeps reading (and discarding) until the peer closes
  // too: closing a socket with unread bytes would send a reset, and a reset
  // can destroy our last bytes (e.g. a stream error) before the peer reads
  // them. An abort stops reading at once.
  if (mode == CloseMode::kAbort && recv_armed_ && !recv_cancel_sent_) {
    shard_->ring().CancelOp(recv_token_);
    recv_cancel_sent_ = true;
  }
  carry_.clear();
  if (mode == CloseMode::kAbort) {
    send_queue_.clear();
    send_front_offset_ = 0;
    queued_bytes_ = 0;
    if (send_in_flight_) shard_->ring().CancelOp(send_token_);
    // Reset rather than FIN: the peer learns at once that bytes were lost.
    linger hard{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    if (close_timer_ != kNoTimer) {
      shard_->timers().Cancel(close_timer_);
      close_timer_ = kNoTimer;
    }
  } else if (close_timer_ == kNoTimer) {
    // A peer that never reads must not keep an orderly close open forever.
    close_timer_ = shard_->timers().Add(shard_->now() + limits_.close_timeout, [this] {
      close_timer_ = kNoTimer;
      Close(CloseMode::kAbort, absl::DeadlineExceededError("close timeout: peer stopped reading"));
    });
  }
  shard_->ScheduleTurnWork(this);
}

void Connection::Handover(ShardId to, uint32_t kind, std::unique_ptr<MailPayload> owner_state) {
  CHECK(state_ == State::kOpen);
  state_ = State::kHandingOver;
  handover_to_ = to;
  handover_kind_ = kind;
  handover_state_ = std::move(owner_state);
  if (idle_timer_ != kNoTimer) {
    shard_->timers().Cancel(idle_timer_);
    idle_timer_ = kNoTimer;
  }
  if (recv_armed_ && !recv_cancel_sent_) {
    shard_->ring().CancelOp(recv_token_);
    recv_cancel_sent_ = true;
  }
  shard_->ScheduleTurnWork(this);
}

void Connection::OnCompletion(const Completion& completion) {
  if (completion.op == kOpRecv) {
    OnRecv(completion);
  } else {
    OnSend(completion);
  }
  MaybeFinish();
}

void Connection::OnRecv(const Completion& completion) {
  if (completion.result > 0 && completion.has_buffer()) {
    BufferRing& buffers = shard_->recv_buffers();
    uint16_t buffer_id = completion.buffer_id();
    std::string_view bytes(reinterpret_cast<const char*>(buffers.Take(buffer_id)),
                           static_cast<size_t>(completion.result));
    bytes_received_ += bytes.size();
    last_receive_ = shard_->now();
    if (state_ == State::kOpen && carry_.empty() && handler_ != nullptr) {
      handler_->OnReceive(*this, bytes);
    } else if (state_ == State::kOpen || state_ == State::kHandingOver) {
      // Keep order behind bytes still waiting (carried over by a hand-over),
      // or carry these to the next shard.
      carry_.append(bytes);
      if (state_ == State::kOpen) shard_->ScheduleTurnWork(this);
    }
    // Bytes that arrive after Close() are discarded, as close(2) would.
    buffers.Recycle(buffer_id);
  }
  if (completion.more()) return;
  recv_armed_ = false;
  if (state_ == State::kClosing) {
    // Draining after an orderly close: keep going until the peer's FIN.
    if (completion.result == 0 || close_mode_ == CloseMode::kAbort) {
      peer_closed_ = true;
    } else if (completion.result == -ENOBUFS || completion.result > 0) {
      rearm_recv_ = true;
      shard_->ScheduleTurnWork(this);
    } else {
      peer_closed_ = true;  // an error: nothing more will come
    }
    return;
  }
  if (state_ != State::kOpen) return;
  if (completion.result == 0) {
    Close(CloseMode::kOrderly, absl::OkStatus());
  } else if (completion.result == -ENOBUFS || completion.result > 0 ||
             completion.result == -ECANCELED) {
    // All provided buffers were lent out (or the kernel ended the multishot
    // for its own reasons): re-arm at the end of the turn, once this turn's
    // buffers are back. A cancel came from PauseReading().
    if (!reading_paused_) {
      rearm_recv_ = true;
      shard_->ScheduleTurnWork(this);
    }
  } else {
    Close(CloseMode::kAbort,
          absl::UnavailableError(absl::StrFormat("recv: %s", strerror(-completion.result))));
  }
}

void Connection::OnSend(const Completion& completion) {
  send_in_flight_ = false;
  table_->ReturnSendBlock(std::move(send_block_));
  if (completion.result < 0) {
    if (state_ != State::kClosing || close_mode_ != CloseMode::kAbort) {
      Close(CloseMode::kAbort,
            absl::UnavailableError(absl::StrFormat("send: %s", strerror(-completion.result))));
    }
    return;
  }
  size_t sent = static_cast<size_t>(completion.result);
  bytes_sent_ += sent;
  queued_bytes_ -= std::min(sent, queued_bytes_);
  while (sent > 0 && !send_queue_.empty()) {
    size_t left = send_queue_.front().size() - send_front_offset_;
    if (sent >= left) {
      sent -= left;
      send_queue_.pop_front();
      send_front_offset_ = 0;
    } else {
      send_front_offset_ += sent;
      sent = 0;
    }
  }
  if (!send_queue_.empty()) shard_->ScheduleTurnWork(this);
  RunSentWaiters(/*failed=*/false);
}

void Connection::FlushSend() {
  if (send_in_flight_ || send_queue_.empty()) return;
  bool may_send = state_ == State::kOpen ||
                  (state_ == State::kClosing && close_mode_ == CloseMode::kOrderly);
  if (!may_send) return;
  int count = 0;
  send_block_ = table_->TakeSendBlock();
  iovec* iovecs = send_block_->iovecs;
  for (size_t i = 0; i < send_queue_.size() && count < kIovecsPerSend; ++i, ++count) {
    const std::string& chunk = send_queue_[i];
    size_t offset = i == 0 ? send_front_offset_ : 0;
    iovecs[count].iov_base = const_cast<char*>(chunk.data()) + offset;
    iovecs[count].iov_len = chunk.size() - offset;
  }
  msghdr& message = send_block_->message;
  std::memset(&message, 0, sizeof(message));
  message.msg_iov = iovecs;
  message.msg_iovlen = count;
  io_uring_sqe* sqe = shard_->ring().Prepare(this, kOpSend, &send_token_);
  io_uring_prep_sendmsg(sqe, fd_, &message, MSG_NOSIGNAL);
  send_in_flight_ = true;
}

void Connection::RunTurnWork() {
  if (state_ == State::kOpen && !carry_.empty() && handler_ != nullptr && started_) {
    std::string carried;
    carried.swap(carry_);
    handler_->OnReceive(*this, carried);
  }
  bool draining = state_ == State::kClosing && close_mode_ == CloseMode::kOrderly && !peer_closed_;
  if ((state_ == State::kOpen || draining) && rearm_recv_ && !recv_armed_ && !reading_paused_) {
    ArmRecv();
  }
  FlushSend();
  // Waiters registered with nothing left to send are due now.
  if (state_ == State::kOpen) RunSentWaiters(/*failed=*/false);
  MaybeFinish();
}

void Connection::MaybeFinish() {
  if (send_in_flight_) return;
  if (recv_armed_ && !(state_ == State::kClosing && close_mode_ == CloseMode::kOrderly)) return;
  if (state_ == State::kClosing) {
    if (close_mode_ == CloseMode::kOrderly) {
      if (!send_queue_.empty()) return;
      if (!write_shut_down_) {
        // Everything is sent: FIN, then wait for the peer's (bounded by
        // close_timeout) while the receive discards what still arrives.
        write_shut_down_ = true;
        shutdown(fd_, SHUT_WR);
      }
      // A stopping shard does not wait for peers: its bytes are sent.
      if (!shard_->stopping() &&
          (recv_armed_ || (rearm_recv_ && !peer_closed_ && !reading_paused_))) {
        return;
      }
      if (recv_armed_ && !recv_cancel_sent_) {
        shard_->ring().CancelOp(recv_token_);
        recv_cancel_sent_ = true;
      }
      if (recv_armed_) return;
    }
    state_ = State::kDone;
    if (close_timer_ != kNoTimer) {
      shard_->timers().Cancel(close_timer_);
      close_timer_ = kNoTimer;
    }
    close(fd_);
    fd_ = -1;
    RunSentWaiters(/*failed=*/true);
    if (handler_ != nullptr) handler_->OnClosed(*this, close_reason_);
    table_->Retire(this);
  } else if (state_ == State::kHandingOver) {
    state_ = State::kDone;
    // Callbacks are shard-local: they do not travel with the connection.
    RunSentWaiters(/*failed=*/true);
    table_->Depart(this);
  }
}

void Connection::ArmIdleTimer() {
  if (limits_.idle_timeout == absl::InfiniteDuration()) return;
  idle_timer_ = shard_->timers().Add(last_receive_ + limits_.idle_timeout, [this] {
    idle_timer_ = kNoTimer;
    OnIdleTimer();
  });
}

void Connection::OnIdleTimer() {
  if (state_ != State::kOpen) return;
  if (shard_->now() - last_receive_ < limits_.idle_timeout) {
    ArmIdleTimer();
    return;
  }
  if (handler_ != nullptr && handler_->OnIdle(*this)) {
    last_receive_ = shard_->now();
    ArmIdleTimer();
    return;
  }
  LOG_INFO("conn %x: idle for %s, closing", id_.value(), absl::FormatDuration(limits_.idle_timeout));
  Close(CloseMode::kOrderly, absl::DeadlineExceededError("idle timeout"));
}

}  // namespace ringlet
