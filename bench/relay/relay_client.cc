// relay_client: drives a loopback relay server (bench/relay/README.md) and
// reports relayed messages per second and one-way latency.
//
// It runs on ringlet's own runtime (a ShardGroup with a Connector and a
// ConnectionTable per shard). Pair p is opened by client shard
// p % --shards, both of its sides, so a pair's two connections share a
// shard and no client state crosses shards.
//
// Traffic: once a connection has its ready byte it sends --window messages of
// --message_bytes bytes. Every message a connection receives (sent by its
// partner through the server) makes it send one new message back, so each
// pair keeps 2 × window messages circulating (window per direction on
// average): the load is self-clocked and the server is never flooded past
// what it can relay. A message's first 8 bytes are its send time; the
// receiver records now - send time in a per-shard histogram (no allocation
// per message). Messages received within the measurement window (after
// --warmup, for --duration) are counted.
//
// The client prints one "RESULT ..." line with the rate, the latency
// percentiles and the CPU use of the client and (with --server_pid) of the
// server over the measurement window, so that which side saturates the
// cores is visible.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/relay/busy_poller.h"
#include "bench/xmpp/load_stats.h"
#include "bench/relay/relay_protocol.h"
#include "bench/relay/server_util.h"
#include "core/log.h"
#include "core/shard.h"
#include "net/address.h"
#include "net/connection.h"
#include "net/connection_table.h"
#include "net/connector.h"

ABSL_FLAG(std::string, server, "127.0.0.1:15301", "relay server address");
ABSL_FLAG(uint32_t, connections, 1000, "connections to open (an even number: pairs × 2)");
ABSL_FLAG(uint32_t, window, 8, "messages each connection starts with (in flight per direction)");
ABSL_FLAG(uint32_t, message_bytes, 100, "bytes per message (at least 8)");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "traffic before measuring starts");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "measurement window");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(60),
          "give up if not every pair is ready by then");
ABSL_FLAG(uint32_t, shards, 0, "client shards; 0 = one per core");
ABSL_FLAG(uint32_t, source_addresses, 48,
          "spread client sockets over 127.0.0.2 .. 127.0.0.(1+N) (ephemeral ports)");
ABSL_FLAG(uint32_t, connects_in_flight, 256, "concurrent connects per client shard");
ABSL_FLAG(int32_t, server_pid, 0, "if set, also report this process's CPU use over the window");
ABSL_FLAG(bool, pin, true, "pin shard i to core i");
ABSL_FLAG(bool, busy_poll, false,
          "diagnostic: client shards never sleep in io_uring_enter");
ABSL_FLAG(std::string, label, "", "free text copied into the RESULT line (e.g. the server's name)");

namespace ringlet::relay {
namespace {

using ::ringlet::bench::LatencyHistogram;

// The measurement window, in MonotonicNanoseconds(); 0 = not open yet.
std::atomic<int64_t> window_start_ns{0};
std::atomic<int64_t> window_end_ns{0};

class ClientShard;

// One client connection: sends its hello, waits for the ready byte, then
// answers every received message with a new one. Deletes itself on close.
class ClientConnection final : public ConnectionHandler {
 public:
  ClientConnection(ClientShard* owner, Connection* connection, Hello hello)
      : owner_(owner), connection_(connection), hello_(hello) {}
  void OnReceive(Connection& connection, std::string_view bytes) override;
  void OnClosed(Connection& connection, const absl::Status& reason) override;

 private:
  // Queues `count` messages stamped with the current time.
  void SendMessages(size_t count);

  ClientShard* const owner_;
  Connection* const connection_;
  const Hello hello_;
  bool ready_ = false;
  // The first bytes of a message split across receives.
  char partial_[kTimestampBytes];
  size_t partial_size_ = 0;      // bytes of the current message seen so far
};

// The connections of one client shard and its counters. Owned by main() so
// that its counters and histogram can be read after the shards have stopped;
// the atomics are also read while running, for progress.
class ClientShard {
 public:
  ClientShard(std::vector<uint32_t> pair_ids, SocketAddress server, uint32_t message_bytes,
              uint32_t window, uint32_t source_addresses, uint32_t connects_in_flight)
      : pair_ids_(std::move(pair_ids)),
        server_(server),
        message_bytes_(message_bytes),
        window_(window),
        source_addresses_(source_addresses),
        connects_in_flight_max_(connects_in_flight) {}

  absl::Status Init(Shard& shard, bool busy_poll) {
    shard_ = &shard;
    if (busy_poll) busy_poller_ = std::make_unique<BusyPoller>(&shard);
    ConnectionTableLimits limits;
    limits.connection.idle_timeout = absl::InfiniteDuration();
    table_ = static_cast<ConnectionTable*>(
        shard.AddService(std::make_unique<ConnectionTable>(&shard, limits)));
    connector_ = static_cast<Connector*>(
        shard.AddService(std::make_unique<Connector>(&shard, table_)));
    message_template_.assign(message_bytes_, 'x');
    ConnectMore();
    return absl::OkStatus();
  }

  uint32_t message_bytes() const { return message_bytes_; }
  uint32_t window() const { return window_; }
  const std::string& message_template() const { return message_template_; }
  bool stopping() const { return shard_->stopping(); }

  void CountReady() { ready_.fetch_add(1, std::memory_order_relaxed); }
  void CountClosed(bool expected) {
    if (!expected) unexpected_closes_.fetch_add(1, std::memory_order_relaxed);
  }
  // Records a received message sent at `sent_ns`, seen at `now_ns`.
  void Received(int64_t sent_ns, int64_t now_ns) {
    ++received_total_;
    int64_t start = window_start_ns.load(std::memory_order_relaxed);
    if (start == 0 || now_ns < start) return;
    int64_t end = window_end_ns.load(std::memory_order_relaxed);
    if (end != 0 && now_ns >= end) return;
    ++received_in_window_;
    latency_.Record(static_cast<uint64_t>(std::max<int64_t>(0, now_ns - sent_ns)));
  }

  uint64_t ready() const { return ready_.load(std::memory_order_relaxed); }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  uint64_t unexpected_closes() const { return unexpected_closes_.load(std::memory_order_relaxed); }
  // Valid once the shard has stopped.
  uint64_t received_in_window() const { return received_in_window_; }
  uint64_t received_total() const { return received_total_; }
  const LatencyHistogram& latency() const { return latency_; }

 private:
  // Starts connects until connects_in_flight_max_ are pending.
  void ConnectMore() {
    while (connects_in_flight_ < connects_in_flight_max_ && next_connect_ < 2 * pair_ids_.size()) {
      size_t index = next_connect_++;
      Hello hello{pair_ids_[index / 2], static_cast<uint32_t>(index % 2)};
      ConnectOptions options;
      options.to = server_;
      uint32_t global_index = hello.pair_id * 2 + hello.side;
      options.from = *SocketAddress::Parse(
          absl::StrFormat("127.0.0.%u:0", 2 + global_index % source_addresses_));
      ++connects_in_flight_;
      connector_->Connect(options, [this, hello](absl::StatusOr<Connection*> result) {
        --connects_in_flight_;
        if (!result.ok()) {
          if (failed_.fetch_add(1, std::memory_order_relaxed) < 5) {
            LOG_ERROR("connect for pair %u side %u: %s", hello.pair_id, hello.side,
                      result.status().ToString());
          }
        } else {
          Connection* connection = *result;
          connection->set_handler(new ClientConnection(this, connection, hello));
          connection->Start();
          char bytes[kHelloBytes];
          EncodeHello(hello, bytes);
          absl::Status status = connection->Send(std::string_view(bytes, kHelloBytes));
          if (!status.ok()) connection->Close(CloseMode::kAbort, status);
        }
        if (!shard_->stopping()) ConnectMore();
      });
    }
  }

  const std::vector<uint32_t> pair_ids_;
  const SocketAddress server_;
  const uint32_t message_bytes_;
  const uint32_t window_;
  const uint32_t source_addresses_;
  const uint32_t connects_in_flight_max_;
  Shard* shard_ = nullptr;
  std::unique_ptr<BusyPoller> busy_poller_;
  ConnectionTable* table_ = nullptr;
  Connector* connector_ = nullptr;
  std::string message_template_;
  size_t next_connect_ = 0;
  uint32_t connects_in_flight_ = 0;
  std::atomic<uint64_t> ready_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> unexpected_closes_{0};
  uint64_t received_total_ = 0;
  uint64_t received_in_window_ = 0;
  LatencyHistogram latency_;
};

void ClientConnection::SendMessages(size_t count) {
  if (count == 0) return;
  const size_t message_bytes = owner_->message_bytes();
  std::string bytes;
  bytes.reserve(count * message_bytes);
  int64_t now = MonotonicNanoseconds();
  for (size_t i = 0; i < count; ++i) {
    bytes.append(owner_->message_template());
    std::memcpy(bytes.data() + i * message_bytes, &now, kTimestampBytes);
  }
  absl::Status status = connection_->Send(std::move(bytes));
  if (!status.ok() && connection_->open()) connection_->Close(CloseMode::kAbort, status);
}

void ClientConnection::OnReceive(Connection&, std::string_view bytes) {
  if (!ready_) {
    if (bytes.empty()) return;
    if (bytes[0] != kReadyByte) {
      connection_->Close(CloseMode::kAbort, absl::DataLossError("expected the ready byte"));
      return;
    }
    bytes.remove_prefix(1);
    ready_ = true;
    owner_->CountReady();
    SendMessages(owner_->window());
  }
  const size_t message_bytes = owner_->message_bytes();
  int64_t now = MonotonicNanoseconds();
  size_t complete = 0;
  while (!bytes.empty()) {
    // Collect the timestamp (the first 8 bytes), skip the rest.
    if (partial_size_ < kTimestampBytes) {
      size_t take = std::min(bytes.size(), kTimestampBytes - partial_size_);
      std::memcpy(partial_ + partial_size_, bytes.data(), take);
      partial_size_ += take;
      bytes.remove_prefix(take);
      if (partial_size_ < kTimestampBytes) break;
    }
    size_t skip = std::min(bytes.size(), message_bytes - partial_size_);
    partial_size_ += skip;
    bytes.remove_prefix(skip);
    if (partial_size_ == message_bytes) {
      int64_t sent;
      std::memcpy(&sent, partial_, kTimestampBytes);
      owner_->Received(sent, now);
      partial_size_ = 0;
      ++complete;
    }
  }
  if (!owner_->stopping()) SendMessages(complete);
}

void ClientConnection::OnClosed(Connection&, const absl::Status&) {
  owner_->CountClosed(owner_->stopping());
  delete this;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  SetLogLevel(LogLevel::kWarning);
  auto server = SocketAddress::Parse(absl::GetFlag(FLAGS_server));
  if (!server.ok()) {
    std::fprintf(stderr, "bad --server: %s\n", server.status().ToString().c_str());
    return 2;
  }
  const uint32_t connections = absl::GetFlag(FLAGS_connections);
  const uint32_t message_bytes = absl::GetFlag(FLAGS_message_bytes);
  const uint32_t window = absl::GetFlag(FLAGS_window);
  const uint32_t source_addresses = std::clamp(absl::GetFlag(FLAGS_source_addresses), 1u, 250u);
  if (connections < 2 || connections % 2 != 0 || message_bytes < kTimestampBytes || window == 0) {
    std::fprintf(stderr, "need an even --connections >= 2, --message_bytes >= 8, --window >= 1\n");
    return 2;
  }
  uint32_t shards = absl::GetFlag(FLAGS_shards);
  if (shards == 0) shards = std::max(1u, std::thread::hardware_concurrency());
  const uint32_t pairs = connections / 2;

  std::vector<std::unique_ptr<ClientShard>> client_shards;
  for (uint32_t s = 0; s < shards; ++s) {
    std::vector<uint32_t> pair_ids;
    for (uint32_t p = s; p < pairs; p += shards) pair_ids.push_back(p);
    client_shards.push_back(std::make_unique<ClientShard>(std::move(pair_ids), *server, message_bytes,
                                                          window, source_addresses,
                                                          absl::GetFlag(FLAGS_connects_in_flight)));
  }

  ShardGroup::Options options;
  options.shard_count = shards;
  options.shard.ring = Ring::Options{.sq_entries = 4096, .cq_entries = 65536};
  options.shard.recv_buffer_count = 4096;
  options.shard.recv_buffer_bytes = 4096;
  options.shard.shutdown_timeout = absl::Seconds(3);
  options.shard.pin_to_core = absl::GetFlag(FLAGS_pin);
  ShardGroup group(options);
  absl::Time connect_start = absl::Now();
  absl::Status status = group.Start(
      [&](Shard& shard) { return client_shards[shard.id().value()]->Init(shard, absl::GetFlag(FLAGS_busy_poll)); });
  if (!status.ok()) {
    std::fprintf(stderr, "start: %s\n", status.ToString().c_str());
    return 1;
  }

  auto sum = [&](auto getter) {
    uint64_t total = 0;
    for (const auto& client_shard : client_shards) total += getter(*client_shard);
    return total;
  };
  absl::Time give_up = connect_start + absl::GetFlag(FLAGS_connect_timeout);
  while (absl::Now() < give_up) {
    uint64_t ready = sum([](const ClientShard& s) { return s.ready(); });
    uint64_t failed = sum([](const ClientShard& s) { return s.failed(); });
    if (ready + failed >= connections || failed > 0) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  uint64_t ready = sum([](const ClientShard& s) { return s.ready(); });
  absl::Duration connect_time = absl::Now() - connect_start;
  if (ready < connections) {
    std::fprintf(stderr, "only %llu of %u connections ready after %s (%llu connects failed)\n",
                 static_cast<unsigned long long>(ready), connections,
                 absl::FormatDuration(connect_time).c_str(),
                 static_cast<unsigned long long>(sum([](const ClientShard& s) { return s.failed(); })));
    group.RequestStop();
    group.Join();
    return 1;
  }

  const int32_t server_pid = absl::GetFlag(FLAGS_server_pid);
  auto server_cpu_seconds = [server_pid]() -> double {
    if (server_pid <= 0) return 0;
    std::ifstream stat(absl::StrFormat("/proc/%d/stat", server_pid));
    std::string line;
    std::getline(stat, line);
    // Fields after the command name (which may contain spaces) start at ')'.
    size_t close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  };

  absl::SleepFor(absl::GetFlag(FLAGS_warmup));
  double client_cpu_start = bench::SelfCpuSeconds();
  double server_cpu_start = server_cpu_seconds();
  int64_t start_ns = MonotonicNanoseconds();
  window_start_ns.store(start_ns, std::memory_order_relaxed);
  absl::SleepFor(absl::GetFlag(FLAGS_duration));
  int64_t end_ns = MonotonicNanoseconds();
  window_end_ns.store(end_ns, std::memory_order_relaxed);
  double client_cpu = bench::SelfCpuSeconds() - client_cpu_start;
  double server_cpu = server_cpu_seconds() - server_cpu_start;
  group.RequestStop();
  group.Join();

  LatencyHistogram latency;
  for (const auto& client_shard : client_shards) latency.Merge(client_shard->latency());
  uint64_t received = sum([](const ClientShard& s) { return s.received_in_window(); });
  uint64_t received_total = sum([](const ClientShard& s) { return s.received_total(); });
  uint64_t unexpected_closes = sum([](const ClientShard& s) { return s.unexpected_closes(); });
  double window_seconds = static_cast<double>(end_ns - start_ns) * 1e-9;
  std::printf(
      "RESULT label=%s connections=%u window=%u message_bytes=%u connect_s=%.2f "
      "messages=%llu messages_per_second=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
      "client_cpu_percent=%.0f server_cpu_percent=%.0f unexpected_closes=%llu "
      "received_total=%llu\n",
      absl::GetFlag(FLAGS_label).c_str(), connections, window, message_bytes,
      absl::ToDoubleSeconds(connect_time), static_cast<unsigned long long>(received),
      static_cast<double>(received) / window_seconds, latency.Percentile(0.50) * 1e-3,
      latency.Percentile(0.99) * 1e-3, latency.Percentile(0.999) * 1e-3,
      100.0 * client_cpu / window_seconds, 100.0 * server_cpu / window_seconds,
      static_cast<unsigned long long>(unexpected_closes),
      static_cast<unsigned long long>(received_total));
  return unexpected_closes == 0 && received > 0 ? 0 : 1;
}

}  // namespace
}  // namespace ringlet::relay

int main(int argc, char** argv) { return ringlet::relay::Main(argc, argv); }
