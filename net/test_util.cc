#include "net/test_util.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ringlet::testing {

absl::StatusOr<int> ConnectBlocking(const SocketAddress& to, const char* from) {
  int fd = socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  if (from != nullptr) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    inet_pton(AF_INET, from, &source.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0) {
      close(fd);
      return absl::InternalError(absl::StrCat("bind: ", strerror(errno)));
    }
  }
  if (connect(fd, to.sockaddr_ptr(), to.length()) != 0) {
    int error = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect: ", strerror(error)));
  }
  return fd;
}

absl::Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

std::string ReadAtMost(int fd, size_t count, absl::Duration timeout) {
  std::string out;
  absl::Time deadline = absl::Now() + timeout;
  char buffer[65536];
  while (out.size() < count) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1) <= 0) continue;
    size_t want = std::min(sizeof(buffer), count - out.size());
    ssize_t n = recv(fd, buffer, want, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

bool WaitForClose(int fd, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  char buffer[4096];
  while (absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (poll(&p, 1, static_cast<int>(left) + 1) <= 0) continue;
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return true;
  }
  return false;
}

}  // namespace ringlet::testing
