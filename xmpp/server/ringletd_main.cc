// ringletd: the ringlet XMPP server.
//
// Start-up: parse and validate flags, block SIGINT/SIGTERM (every shard
// thread inherits the mask, so only this thread sees them), start the
// shards, each with its connection table, storage writer, router, c2s
// service and one SO_REUSEPORT listener per --c2s_listen address, then wait
// for a signal and stop the shards.

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <cstdlib>
#include <filesystem>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "core/log.h"
#include "core/runtime_flags.h"
#include "core/shard.h"
#include "net/address.h"
#include "net/connection_table.h"
#include "net/listener.h"
#include "net/net_flags.h"
#include "storage/rocksdb_storage.h"
#include "storage/storage_flags.h"
#include "net/tls/certificate.h"
#include "net/tls/tls_context.h"
#include "net/tls/tls_flags.h"
#include "xmpp/admin/admin_flags.h"
#include "xmpp/admin/admin_service.h"
#include "xmpp/c2s/c2s_flags.h"
#include "xmpp/c2s/c2s_service.h"
#include "xmpp/router/router.h"
#include "xmpp/router/router_flags.h"

ABSL_FLAG(std::vector<std::string>, c2s_listen, {"[::]:5222"},
          "Client-to-server listening addresses (STARTTLS), HOST:PORT, comma-separated "
          "(IPv6 in brackets). Port 0 picks a free port (logged at start-up).");
ABSL_FLAG(std::vector<std::string>, c2s_tls_listen, {"[::]:5223"},
          "Client-to-server direct TLS (XEP-0368) listening addresses, like --c2s_listen; "
          "empty to disable.");

namespace ringlet {
namespace {

constexpr char kUsage[] =
    "ringletd: the ringlet XMPP server.\n"
    "  ringletd [--domain=example.org] [--data_dir=DIR] [--c2s_listen=HOST:PORT,...]\n"
    "           [--shards=N] [flags]\n"
    "Every tunable is a flag; see --help for the full list. Flag names may be\n"
    "written with dashes (--c2s-listen) or underscores (--c2s_listen).";

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
  // Signals are taken by sigwait() below, on this thread only. They are
  // blocked before anything starts a thread (RocksDB starts its own), since
  // threads inherit the mask: one that did not would die of SIGTERM.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
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
  auto c2s_config = xmpp::C2sConfigFromFlags();
  if (!c2s_config.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(c2s_config.status().message()).c_str());
    return 2;
  }
  // Every stanza a client may send must fit in any client's send queue,
  // twice over (a delivered stanza grows: 'from', a <delay/>, TLS framing),
  // or a legitimate stanza would cut its recipient off.
  if (limits->connection.send_queue_bytes_max < 2 * c2s_config->xml_limits.stanza_bytes_max) {
    std::fprintf(stderr,
                 "ringletd: --send_queue_bytes_max (%zu) must be at least twice "
                 "--xml_stanza_bytes_max (%zu)\n",
                 limits->connection.send_queue_bytes_max, c2s_config->xml_limits.stanza_bytes_max);
    return 2;
  }
  if (absl::GetFlag(FLAGS_data_dir).empty()) {
    // The embedded default: a folder beside where ringletd was started.
    const char* working = std::getenv("BUILD_WORKING_DIRECTORY");  // set by `bazel run`
    std::filesystem::path base = working != nullptr ? working : std::filesystem::current_path();
    absl::SetFlag(&FLAGS_data_dir, (base / "ringlet-data").string());
  }
  auto storage_options = storage::RocksDbStorageOptionsFromFlags();
  if (!storage_options.ok()) {
    std::fprintf(stderr, "ringletd: %s\n",
                 std::string(storage_options.status().message()).c_str());
    return 2;
  }
  auto service_options = storage::StorageServiceOptionsFromFlags(*storage_options);
  if (!service_options.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(service_options.status().message()).c_str());
    return 2;
  }
  std::error_code made;
  std::filesystem::create_directories(storage_options->data_dir, made);
  auto storage = storage::OpenRocksDbStorage(*storage_options);
  if (!storage.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(storage.status().message()).c_str());
    return 1;
  }
  LOG_INFO("data in %s (sync=%s)", storage_options->data_dir, absl::GetFlag(FLAGS_sync));
  if (!c2s_config->require_tls) {
    LOG_WARNING("--require_tls=false: passwords may cross the network in clear text");
  }
  xmpp::RouterConfig router_config;
  router_config.domains = c2s_config->domains;
  if (absl::Status status = xmpp::RouterConfigFromFlags(&router_config); !status.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(status.message()).c_str());
    return 2;
  }

  // TLS: the configured certificates, or a self-signed one in the data dir.
  auto certificates = TlsCertificatesFromFlags();
  auto min_version = TlsMinVersionFromFlags();
  if (!certificates.ok() || !min_version.ok()) {
    std::fprintf(stderr, "ringletd: %s\n",
                 std::string((!certificates.ok() ? certificates.status() : min_version.status())
                                 .message()).c_str());
    return 2;
  }
  if (certificates->empty()) {
    std::filesystem::path dir = std::filesystem::path(storage_options->data_dir) / "tls";
    std::string cert = (dir / "self-signed.crt").string();
    std::string key = (dir / "self-signed.key").string();
    if (!std::filesystem::exists(cert) || !std::filesystem::exists(key)) {
      std::filesystem::create_directories(dir, made);
      absl::Status written = WriteSelfSignedCertificate(c2s_config->domains, cert, key);
      if (!written.ok()) {
        std::fprintf(stderr, "ringletd: %s\n", std::string(written.message()).c_str());
        return 1;
      }
      LOG_WARNING("no --tls_cert given: created a self-signed certificate for %s in %s "
                  "(clients will not trust it; configure a real one)",
                  absl::StrJoin(c2s_config->domains, ","), cert);
    }
    for (const std::string& domain : c2s_config->domains) {
      certificates->push_back(TlsCertificateFiles{domain, cert, key});
    }
  }
  TlsServerOptions tls_options;
  tls_options.certificates = *certificates;
  tls_options.alpn_protocols = {"xmpp-client"};
  tls_options.min_version = *min_version;
  auto tls_context = TlsContext::CreateServer(tls_options);
  if (!tls_context.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(tls_context.status().message()).c_str());
    return 1;
  }
  c2s_config->tls = tls_context->get();
  auto admin_options = admin::AdminOptionsFromFlags(storage_options->data_dir);
  if (!admin_options.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(admin_options.status().message()).c_str());
    return 2;
  }

  struct ListenSpec {
    SocketAddress address;
    bool direct_tls;
  };
  std::vector<ListenSpec> addresses;
  std::vector<int> reservations;
  for (bool direct_tls : {false, true}) {
    const char* flag = direct_tls ? "--c2s_tls_listen" : "--c2s_listen";
    for (const std::string& text : absl::GetFlag(direct_tls ? FLAGS_c2s_tls_listen
                                                             : FLAGS_c2s_listen)) {
      if (text.empty()) continue;
      auto address = SocketAddress::Parse(text);
      if (!address.ok()) {
        std::fprintf(stderr, "ringletd: %s: %s\n", flag,
                     std::string(address.status().message()).c_str());
        return 2;
      }
      if (address->port() == 0) {
        auto reservation = ReservePort(&*address);
        if (!reservation.ok()) {
          std::fprintf(stderr, "ringletd: %s\n",
                       std::string(reservation.status().message()).c_str());
          return 1;
        }
        reservations.push_back(*reservation);
      }
      addresses.push_back(ListenSpec{*address, direct_tls});
    }
  }


  const uint32_t backlog = absl::GetFlag(FLAGS_listen_backlog);
  // Per-shard objects live until the shard threads are joined (a shard's
  // services, its StorageService among them, are destroyed with it), so
  // before the storage they write to.
  {
  ShardGroup group(*group_options);
  absl::Status started = group.Start([&](Shard& shard) -> absl::Status {
    auto* table = static_cast<ConnectionTable*>(
        shard.AddService(std::make_unique<ConnectionTable>(&shard, *limits)));
    auto store = storage::StorageService::Create(&shard, storage->get(), *service_options);
    if (!store.ok()) return store.status();
    auto* store_service = static_cast<storage::StorageService*>(shard.AddService(std::move(*store)));
    auto* router = static_cast<xmpp::Router*>(shard.AddService(std::make_unique<xmpp::Router>(
        &shard, router_config, storage->get(), store_service)));
    auto* c2s = static_cast<xmpp::C2sService*>(shard.AddService(
        std::make_unique<xmpp::C2sService>(&shard, table, router, storage->get(), &*c2s_config)));
    for (const ListenSpec& spec : addresses) {
      ListenerOptions options;
      options.address = spec.address;
      options.backlog = static_cast<int>(backlog);
      bool direct_tls = spec.direct_tls;
      auto listener = Listener::Create(&shard, table, options, [c2s, direct_tls](Connection& c) {
        c2s->Accept(c, direct_tls);
      });
      if (!listener.ok()) return listener.status();
      shard.AddService(std::move(*listener));
    }
    auto admin = admin::AdminService::Create(&shard, table, store_service, *admin_options);
    if (!admin.ok()) return admin.status();
    (*admin)->SetUserDeletedCallback([router](const std::string& user) { router->AccountDeleted(user); });
    MetricsRegistry& metrics = (*admin)->metrics();
    shard.AddService(std::move(*admin));
    metrics.AddSampledCounter("ringlet_c2s_logins_total", "Successful SASL logins.",
                              [c2s] { return c2s->logins(); });
    metrics.AddSampledCounter("ringlet_c2s_login_failures_total", "Failed SASL logins.",
                              [c2s] { return c2s->login_failures(); });
    metrics.AddSampledGauge("ringlet_c2s_sessions", "Bound client sessions on this shard.",
                            [router] { return static_cast<int64_t>(router->session_count()); });
    metrics.AddSampledCounter("ringlet_stanzas_routed_total", "Stanzas routed from sessions.",
                              [router] { return router->stanzas_routed(); });
    metrics.AddSampledCounter("ringlet_stanzas_delivered_total", "Stanzas delivered to sessions.",
                              [router] { return router->stanzas_delivered(); });
    c2s->set_login_latency_histogram(metrics.AddHistogram(
        "ringlet_c2s_login_latency_us", "Time from accept to resource binding, microseconds."));
    return absl::OkStatus();
  });
  for (int fd : reservations) close(fd);
  if (!started.ok()) {
    std::fprintf(stderr, "ringletd: %s\n", std::string(started.message()).c_str());
    return 1;
  }
  std::vector<std::string> listening, listening_tls;
  for (const ListenSpec& spec : addresses) {
    (spec.direct_tls ? listening_tls : listening).push_back(spec.address.ToString());
  }
  LOG_INFO("ringletd running: %u shards, domains %s, c2s on %s, c2s direct TLS on %s, admin on %s",
           group.shard_count(), absl::StrJoin(c2s_config->domains, ","),
           absl::StrJoin(listening, ", "), absl::StrJoin(listening_tls, ", "),
           admin_options->socket_path);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LOG_INFO("received %s, shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  group.RequestStop();
  group.Join();
  }
  LOG_INFO("ringletd stopped");
  return 0;
}

}  // namespace
}  // namespace ringlet

int main(int argc, char** argv) { return ringlet::Main(argc, argv); }
