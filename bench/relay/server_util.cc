#include "bench/relay/server_util.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_format.h"

namespace ringlet::relay {

absl::StatusOr<PortReservation> PortReservation::Create(const SocketAddress& address) {
  PortReservation reservation;
  reservation.fd_ = socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (reservation.fd_ < 0) {
    return absl::InternalError(absl::StrFormat("socket: %s", strerror(errno)));
  }
  int one = 1;
  setsockopt(reservation.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(reservation.fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(reservation.fd_, address.sockaddr_ptr(), address.length()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("bind %s: %s", address.ToString(), strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(reservation.fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  reservation.address_ = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length);
  return reservation;
}

absl::StatusOr<PortReservation> PortReservation::Parse(const std::string& text) {
  auto address = SocketAddress::Parse(text);
  if (!address.ok()) return address.status();
  return Create(*address);
}

PortReservation::PortReservation(PortReservation&& other) noexcept
    : fd_(other.fd_), address_(other.address_) {
  other.fd_ = -1;
}

PortReservation::~PortReservation() {
  if (fd_ >= 0) close(fd_);
}

namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WaitForStopSignal(absl::Duration duration) {
  sigset_t set = StopSignals();
  absl::Time deadline =
      duration > absl::ZeroDuration() ? absl::Now() + duration : absl::InfiniteFuture();
  while (absl::Now() < deadline) {
    absl::Duration left = std::min(deadline - absl::Now(), absl::Milliseconds(200));
    if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
    timespec wait = absl::ToTimespec(left);
    if (sigtimedwait(&set, nullptr, &wait) > 0) return;
  }
}

absl::Status AnnounceAddress(const SocketAddress& address, const std::string& port_file) {
  std::printf("listening on %s\n", address.ToString().c_str());
  std::fflush(stdout);
  if (port_file.empty()) return absl::OkStatus();
  std::string temporary = port_file + ".tmp";
  FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat("open %s: %s", temporary, strerror(errno)));
  }
  std::fprintf(file, "%u\n", address.port());
  std::fclose(file);
  if (std::rename(temporary.c_str(), port_file.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat("rename to %s: %s", port_file, strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace ringlet::relay
