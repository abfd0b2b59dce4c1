#pragma once

// SocketAddress: an IPv4 or IPv6 address and port, parsed from the
// "HOST:PORT" / "[V6]:PORT" form that flags use, and printed back the same
// way; or a local (AF_UNIX) stream socket path, written "unix:/path". Host
// names are not resolved here (name resolution is a separate, asynchronous
// component); only numeric addresses are accepted.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringlet {

class SocketAddress {
 public:
  SocketAddress() = default;

  // Parses "127.0.0.1:5222", "[::1]:5222", "[::]:5222" or "*:5222" (any
  // IPv6 address, which also accepts IPv4 on dual-stack hosts), or
  // "unix:/run/ringlet.sock" (a path of at most 107 bytes).
  static absl::StatusOr<SocketAddress> Parse(std::string_view text);
  // Wraps a local socket path; InvalidArgument if it is empty or too long.
  static absl::StatusOr<SocketAddress> Unix(std::string_view path);
  // Wraps an address returned by the kernel (accept, getsockname).
  static SocketAddress FromSockaddr(const sockaddr* address, socklen_t length);

  int family() const { return storage_.ss_family; }
  bool is_unix() const { return family() == AF_UNIX; }
  // The socket path of an AF_UNIX address ("" for others and for the
  // unnamed peer of an accepted local connection).
  std::string unix_path() const;
  uint16_t port() const;
  void set_port(uint16_t port);
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* mutable_sockaddr_ptr() { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t length() const { return length_; }

  // The address without the port ("127.0.0.1", "::1"); the key of
  // per-source-address limits. IPv4-mapped IPv6 addresses print as IPv4;
  // every AF_UNIX address prints as "unix".
  std::string HostString() const;
  // "127.0.0.1:5222", "[::1]:5222" or "unix:/path".
  std::string ToString() const;

 private:
  sockaddr_storage storage_{};
  socklen_t length_ = 0;
};

}  // namespace ringlet
