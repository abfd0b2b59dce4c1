#include "net/connector.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "core/log.h"

namespace ringlet {

// One connect in flight: the CONNECT and its linked timeout each post a
// completion, and the attempt ends only when both have arrived.
class Connector::Attempt final : public RingClient {
 public:
  enum Op : uint32_t { kConnect = 1, kTimeout = 2 };

  Attempt(Connector* owner, ConnectOptions options, Callback done)
      : owner_(owner), options_(std::move(options)), done_(std::move(done)) {}
  ~Attempt() {
    if (fd_ >= 0) close(fd_);
  }

  void Start() {
    const SocketAddress& to = options_.to;
    fd_ = socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      Fail(absl::ResourceExhaustedError(absl::StrFormat("socket: %s", strerror(errno))));
      return;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (options_.from.has_value()) {
      setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
      if (bind(fd_, options_.from->sockaddr_ptr(), options_.from->length()) != 0) {
        Fail(absl::FailedPreconditionError(absl::StrFormat(
            "bind to %s: %s", options_.from->ToString(), strerror(errno))));
        return;
      }
    }
    Ring& ring = owner_->shard_->ring();
    io_uring_sqe* sqe = ring.Prepare(this, kConnect, &connect_token_);
    io_uring_prep_connect(sqe, fd_, to.sockaddr_ptr(), to.length());
    sqe->flags |= IOSQE_IO_LINK;
    timeout_.tv_sec = absl::ToInt64Seconds(options_.timeout);
    timeout_.tv_nsec =
        absl::ToInt64Nanoseconds(options_.timeout - absl::Seconds(timeout_.tv_sec));
    io_uring_prep_link_timeout(ring.Prepare(this, kTimeout), &timeout_, 0);
    outstanding_ = 2;
  }

  void Cancel() {
    if (outstanding_ > 0 && !cancelled_) {
      cancelled_ = true;
      owner_->shard_->ring().CancelOp(connect_token_);
    }
  }

  void OnCompletion(const Completion& completion) override {
    if (completion.op == kConnect) connect_result_ = completion.result;
    if (--outstanding_ > 0) return;
    if (connect_result_ == 0 && !cancelled_) {
      int fd = fd_;
      fd_ = -1;
      owner_->Finish(this, owner_->table_->Admit(fd, options_.to));
    } else if (cancelled_) {
      Fail(absl::CancelledError("connect cancelled: shard stopping"));
    } else if (connect_result_ == -ECANCELED) {
      Fail(absl::DeadlineExceededError(absl::StrFormat(
          "connect to %s timed out after %s", options_.to.ToString(),
          absl::FormatDuration(options_.timeout))));
    } else {
      Fail(absl::UnavailableError(absl::StrFormat("connect to %s: %s", options_.to.ToString(),
                                                  strerror(-connect_result_))));
    }
  }

  Callback& done() { return done_; }

 private:
  void Fail(absl::Status status) { owner_->Finish(this, std::move(status)); }

  Connector* const owner_;
  const ConnectOptions options_;
  Callback done_;
  int fd_ = -1;
  int outstanding_ = 0;
  int connect_result_ = -ECANCELED;
  bool cancelled_ = false;
  OpToken connect_token_ = 0;
  __kernel_timespec timeout_{};
};

Connector::Connector(Shard* shard, ConnectionTable* table) : shard_(shard), table_(table) {}

Connector::~Connector() = default;

void Connector::Connect(const ConnectOptions& options, Callback done) {
  auto attempt = std::make_unique<Attempt>(this, options, std::move(done));
  Attempt* raw = attempt.get();
  pending_.emplace(raw, std::move(attempt));
  if (shard_->stopping()) {
    Finish(raw, absl::CancelledError("shard stopping"));
    return;
  }
  raw->Start();
}

void Connector::Finish(Attempt* attempt, absl::StatusOr<Connection*> result) {
  auto it = pending_.find(attempt);
  if (it == pending_.end()) return;
  std::unique_ptr<Attempt> owned = std::move(it->second);
  pending_.erase(it);
  Callback done = std::move(owned->done());
  // The attempt may be inside its own OnCompletion: free it later.
  shard_->RunAfterTurnWork([owned = std::move(owned)]() mutable { owned.reset(); });
  done(std::move(result));
}

void Connector::Stop() {
  for (auto& [raw, attempt] : pending_) attempt->Cancel();
}

}  // namespace ringlet
