// ringletd: the ringlet XMPP server.
//
// Start-up: parse and validate flags, block SIGINT/SIGTERM (every shard
// thread inherits the mask, so only this thread sees them), start the
// shards, each with its connection table and one SO_REUSEPORT listener per
// --c2s_listen address, then wait for a signal and stop the shards.

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/log.h"
#include "core/runtime_flags.h"
#include "core/shard.h"
#include "net/address.h"
#include "net/connection_table.h"
#include "net/listener.h"
#include "net/net_flags.h"

ABSL_FLAG(std::vector<std::string>, c2s_listen, {"[::]:5222"},
          "Client-to-server listening addresses, HOST:PORT, comma-separated "
          "(IPv6 in brackets). Port 0 picks a free port (logged at start-up).");

namespace ringlet {
namespace {

constexpr char kUsage[] =
    "ringletd: the ringlet XMPP server.\n"
    "  ringletd [--c2s_listen=HOST:PORT,...] [--shards=N] [flags]\n"
    "Every tunable is a flag; see --help for the full list. Flag names may be\n"
    "written with dashes (--c2s-listen) or underscores (--c2s_listen).";

// Until client-to-server XMPP is wired in, a client is told so with a
// stream error (RFC 6120 §4.9) instead of being left hanging.
class NotYetHandler final : public ConnectionHandler {
 public:
  void OnReceive(Connection& connection, std::string_view) override {
    if (answered_) return;
    answered_ = true;
    absl::Status status = connection.Send(std::string_view(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        "<stream:error><service-unavailable "
        "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
        "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>this ringletd build does not "
        "serve client sessions yet</text></stream:error></stream:stream>"));
    (void)status;  // nothing queued yet: it cannot exceed the limit
    connection.Close(CloseMode::kOrderly);
  }
  void OnClosed(Connection&, const absl::Status&) override { delete this; }
  void OnHandedOver(Connection&) override { delete this; }

 private:
  bool answered_ = false;
};

// Reserves a port for a "port 0" address so that every shard's
// SO_REUSEPORT socket binds the same one. The reservation is a bound,
// non-listening socket: the kernel routes no connection to it.
absl::StatusOr<int> ReservePort(SocketAddress* address) {
  int fd = socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket for port reservation failed");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, address->sockaddr_ptr(), address->length()) != 0) {
    close(fd);
    return absl::FailedPreconditionError("cannot listen on " + address->ToString());
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  address->set_port(SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length).port());
  return fd;
}

int Main(int argc, char** argv) {
  ParseCommandLine(argc, argv, kUsage);
  auto group_options = ShardGroupOptionsFromFlags();
  if (!group_options.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(group_options.status().message()).c_str());
    return 2;
  }
  auto limits = ConnectionTableLimitsFromFlags();
  if (!limits.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(limits.status().message()).c_str());
    return 2;
  }
  std::vector<SocketAddress> addresses;
  std::vector<int> reservations;
  for (const std::string& text : absl::GetFlag(FLAGS_c2s_listen)) {
    auto address = SocketAddress::Parse(text);
    if (!address.ok()) {
      std::fprintf(stderr, "ringletd: --c2s_listen: %s\n",
                   std::string(address.status().message()).c_str());
      return 2;
    }
    if (address->port() == 0) {
      auto reservation = ReservePort(&*address);
      if (!reservation.ok()) {
        std::fprintf(stderr, "ringletd: %s\n", std::string(reservation.status().message()).c_str());
        return 1;
      }
      reservations.push_back(*reservation);
    }
    addresses.push_back(*address);
  }

  // Signals are taken by sigwait() below, on this thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const uint32_t backlog = absl::GetFlag(FLAGS_listen_backlog);
  ShardGroup group(*group_options);
  absl::Status started = group.Start([&](Shard& shard) -> absl::Status {
    auto* table = static_cast<ConnectionTable*>(
        shard.AddService(std::make_unique<ConnectionTable>(&shard, *limits)));
    for (const SocketAddress& address : addresses) {
      ListenerOptions options;
      options.address = address;
      options.backlog = static_cast<int>(backlog);
      auto listener = Listener::Create(&shard, table, options, [](Connection& connection) {
        connection.set_handler(new NotYetHandler());
        connection.Start();
      });
      if (!listener.ok()) return listener.status();
      shard.AddService(std::move(*listener));
    }
    return absl::OkStatus();
  });
  for (int fd : reservations) close(fd);
  if (!started.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(started.message()).c_str());
    return 1;
  }
  std::vector<std::string> listening;
  for (const SocketAddress& address : addresses) listening.push_back(address.ToString());
  LOG_INFO("ringletd running: %u shards, c2s on %s", group.shard_count(),
           absl::StrJoin(listening, ", "));

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LOG_INFO("received %s, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  group.RequestStop();
  group.Join();
  LOG_INFO("ringletd stopped");
  return 0;
}

}  // namespace
}  // namespace ringlet

int main(int argc, char** argv) { return ringlet::Main(argc, argv); }
