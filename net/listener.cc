#include "net/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "core/log.h"

namespace ringlet {

Listener::Listener(Shard* shard, ConnectionTable* table, const ListenerOptions& options,
                   AcceptCallback on_accept)
    : shard_(shard), table_(table), options_(options), on_accept_(std::move(on_accept)) {}

Listener::~Listener() {
  if (rearm_timer_ != kNoTimer) shard_->timers().Cancel(rearm_timer_);
  if (fd_ >= 0) close(fd_);
  // local_address_ is set only once bind() and listen() succeeded, so this
  // never removes a file another listener owns.
  if (local_address_.is_unix()) unlink(local_address_.unix_path().c_str());
}

namespace {

// A local ("unix:/path") listener is opened on one shard only: it skips
// SO_REUSEPORT and TCP_NODELAY, replaces a stale socket file (never a live
// one), makes the socket mode 0600 (owner only) and removes the file when
// the listener is destroyed.
//
// Removes the socket file a previous process left behind at `path`, so that
// bind() can succeed. A file that is not a socket, or a socket that still
// accepts connections (another server), is left alone and reported.
absl::Status RemoveStaleUnixSocket(const SocketAddress& address) {
  const std::string path = address.unix_path();
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) return absl::OkStatus();  // nothing there
  if (!S_ISSOCK(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("cannot listen on %s: the file exists and is not a socket", path));
  }
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return absl::InternalError(absl::StrFormat("socket: %s", strerror(errno)));
  bool alive = connect(probe, address.sockaddr_ptr(), address.length()) == 0;
  close(probe);
  if (alive) {
    return absl::FailedPreconditionError(
        absl::StrFormat("cannot listen on %s: another process is listening there", path));
  }
  unlink(path.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(Shard* shard, ConnectionTable* table,
                                                           const ListenerOptions& options,
                                                           AcceptCallback on_accept) {
  std::unique_ptr<Listener> listener(new Listener(shard, table, options, std::move(on_accept)));
  const SocketAddress& address = options.address;
  int fd = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return absl::InternalError(absl::StrFormat("socket for %s: %s", address.ToString(), strerror(errno)));
  }
  listener->fd_ = fd;
  int one = 1;
  if (address.is_unix()) {
    // A local socket has one listener (one shard); SO_REUSEPORT is for TCP.
    absl::Status removed = RemoveStaleUnixSocket(address);
    if (!removed.ok()) return removed;
  } else {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      return absl::InternalError(absl::StrFormat("SO_REUSEPORT: %s", strerror(errno)));
    }
  }
  if (address.family() == AF_INET6) {
    int zero = 0;  // [::] also accepts IPv4
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  }
  if (bind(fd, address.sockaddr_ptr(), address.length()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("cannot listen on %s: %s", address.ToString(), strerror(errno)));
  }
  if (address.is_unix()) {
    // Owner only. Nobody can connect before listen(), so there is no window
    // in which the wider mode of bind() is usable.
    const std::string path = address.unix_path();
    if (chmod(path.c_str(), 0600) != 0) {
      int error = errno;
      unlink(path.c_str());
      return absl::InternalError(absl::StrFormat("chmod %s: %s", path, strerror(error)));
    }
  }
  if (listen(fd, options.backlog) != 0) {
    return absl::InternalError(absl::StrFormat("listen on %s: %s", address.ToString(), strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
  listener->local_address_ =
      SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), bound_length);
  listener->ArmAccept();
  return listener;
}

void Listener::ArmAccept() {
  io_uring_sqe* sqe = shard_->ring().Prepare(this, 0, &accept_token_);
  io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
  accept_armed_ = true;
}

void Listener::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (rearm_timer_ != kNoTimer) {
    shard_->timers().Cancel(rearm_timer_);
    rearm_timer_ = kNoTimer;
  }
  if (accept_armed_) shard_->ring().CancelOp(accept_token_);
}

void Listener::OnCompletion(const Completion& completion) {
  if (completion.result >= 0) {
    int fd = completion.result;
    ++accepted_;
    // A multishot accept shares one address buffer (and one in/out length)
    // between all its completions, so ask the socket itself.
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    SocketAddress peer = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&storage), length);
    if (stopped_) {
      close(fd);
    } else {
      if (!local_address_.is_unix()) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      }
      auto connection = table_->Admit(fd, peer);
      if (connection.ok()) on_accept_(**connection);
    }
  }
  if (completion.more()) return;
  accept_armed_ = false;
  if (stopped_) {
    close(fd_);
    fd_ = -1;
    return;
  }
  if (completion.result < 0) {
    LOG_WARNING("accept on %s ended: %s; re-arming in %s", local_address_.ToString(),
                strerror(-completion.result), absl::FormatDuration(options_.rearm_delay));
  }
  rearm_timer_ = shard_->timers().Add(shard_->now() + options_.rearm_delay, [this] {
    rearm_timer_ = kNoTimer;
    if (!stopped_ && !accept_armed_) ArmAccept();
  });
}

}  // namespace ringlet
