#include "net/address.h"

#include <arpa/inet.h>

#include <cstddef>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ringlet {

absl::StatusOr<SocketAddress> SocketAddress::Unix(std::string_view path) {
  SocketAddress address;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  // sun_path keeps a terminating NUL.
  if (path.empty() || path.size() >= sizeof(un.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("unix socket path '", std::string(path),
                                                   "' must have 1 to ", sizeof(un.sun_path) - 1,
                                                   " bytes"));
  }
  std::memcpy(un.sun_path, path.data(), path.size());
  std::memcpy(&address.storage_, &un, sizeof(un));
  address.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

absl::StatusOr<SocketAddress> SocketAddress::Parse(std::string_view text) {
  constexpr std::string_view kUnixPrefix = "unix:";
  if (text.substr(0, kUnixPrefix.size()) == kUnixPrefix) return Unix(text.substr(kUnixPrefix.size()));
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("address '", std::string(text), "' is not HOST:PORT"));
  }
  std::string host(text.substr(0, colon));
  uint32_t port;
  if (!absl::SimpleAtoi(std::string(text.substr(colon + 1)), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address '", std::string(text), "' has a bad port"));
  }
  SocketAddress address;
  if (host == "*") host = "[::]";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("address '", std::string(text), "': bad IPv6 address"));
    }
    std::memcpy(&address.storage_, &v6, sizeof(v6));
    address.length_ = sizeof(v6);
    return address;
  }
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address '", std::string(text), "': bad IPv4 address (IPv6 goes in brackets; names are not resolved)"));
  }
  std::memcpy(&address.storage_, &v4, sizeof(v4));
  address.length_ = sizeof(v4);
  return address;
}

SocketAddress SocketAddress::FromSockaddr(const sockaddr* address, socklen_t length) {
  SocketAddress result;
  if (length > sizeof(result.storage_)) length = sizeof(result.storage_);
  std::memcpy(&result.storage_, address, length);
  result.length_ = length;
  return result;
}

std::string SocketAddress::unix_path() const {
  if (!is_unix() || length_ <= offsetof(sockaddr_un, sun_path)) return "";
  const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
  size_t max = length_ - offsetof(sockaddr_un, sun_path);
  return std::string(un->sun_path, strnlen(un->sun_path, max));
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

void SocketAddress::set_port(uint16_t port) {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

std::string SocketAddress::HostString() const {
  if (is_unix()) return "unix";
  char buffer[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buffer,
              sizeof(buffer));
  } else if (family() == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      inet_ntop(AF_INET, &a.s6_addr[12], buffer, sizeof(buffer));
    } else {
      inet_ntop(AF_INET6, &a, buffer, sizeof(buffer));
    }
  }
  return buffer;
}

std::string SocketAddress::ToString() const {
  if (is_unix()) return absl::StrCat("unix:", unix_path());
  std::string host = HostString();
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port());
  return absl::StrCat(host, ":", port());
}

}  // namespace ringlet
