// relay_server: the loopback relay (bench/relay/README.md) on ringlet's own
// runtime: a ShardGroup, one SO_REUSEPORT Listener and one ConnectionTable
// per shard.
//
// Pairing: a pair lives on its home shard, `pair_id % shards`. A connection
// reads its hello on the shard that accepted it; if that is not the pair's
// home, it is handed over there (Connection::Handover, the same move a
// client connection makes to its user's home shard). Once both sides are on
// the home shard every relayed byte stays on that shard: a receive
// completion is followed by a Send() on the partner, flushed with the
// partner's other sends of the turn. The cross-shard cost is paid once per
// connection, not once per message, which is what the design asks of a
// stanza between two users of one home shard.
//
// Limits: a side may send at most kPendingBytesMax before its partner has
// joined; the client protocol sends nothing before the ready byte. The
// partner's send queue is bounded by ConnectionLimits (1 MiB): a client that
// never reads gets both sides of its pair closed.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "bench/relay/busy_poller.h"
#include "bench/relay/relay_protocol.h"
#include "bench/relay/server_util.h"
#include "bench/xmpp/load_stats.h"
#include "core/log.h"
#include "core/shard.h"
#include "net/address.h"
#include "net/connection.h"
#include "net/connection_table.h"
#include "net/listener.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:15301",
          "address to listen on (port 0: the kernel picks one, see --port_file)");
ABSL_FLAG(uint32_t, shards, 0, "shards (threads, one per core); 0 = one per core");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "stop after this long; 0 = run until SIGINT or SIGTERM");
ABSL_FLAG(std::string, port_file, "", "if set, the listening port is written to this file");
ABSL_FLAG(uint32_t, recv_buffers, 4096, "provided receive buffers per shard (a power of two)");
ABSL_FLAG(uint32_t, recv_buffer_bytes, 4096, "bytes per receive buffer");
ABSL_FLAG(bool, pin, true, "pin shard i to core i");
ABSL_FLAG(bool, busy_poll, false,
          "diagnostic: never sleep in io_uring_enter (a turn-work object re-arms itself every turn)");
ABSL_FLAG(std::string, log_level, "warning", "debug, info, warning or error");

namespace ringlet::relay {
namespace {

// Hand-over kind of a connection moving to its pair's home shard.
constexpr uint32_t kRelayKind = 1;
constexpr size_t kPendingBytesMax = 64 * 1024;

class RelayShard;

// What a connection carries to its pair's home shard.
struct JoinState final : public MailPayload {
  Hello hello;
  std::string early_bytes;  // sent after the hello, before the ready byte
};

// The relaying side of one connection, on its pair's home shard. Deletes
// itself when its connection closes.
class RelayHandler final : public ConnectionHandler {
 public:
  RelayHandler(RelayShard* owner, Connection* connection, Hello hello)
      : owner_(owner), connection_(connection), hello_(hello) {}

  void OnReceive(Connection& connection, std::string_view bytes) override;
  void OnClosed(Connection& connection, const absl::Status& reason) override;

  // Links the two sides of a pair and tells both clients to start.
  static void Link(RelayHandler* a, RelayHandler* b);

 private:
  void Forward(std::string_view bytes);

  RelayShard* const owner_;
  Connection* const connection_;
  const Hello hello_;
  RelayHandler* partner_ = nullptr;
  std::string pending_;  // received before the partner joined
};

// Reads the hello on the accepting shard, then joins the pair here or hands
// the connection over to the pair's home shard.
class HelloHandler final : public ConnectionHandler {
 public:
  explicit HelloHandler(RelayShard* owner) : owner_(owner) {}
  void OnReceive(Connection& connection, std::string_view bytes) override;
  void OnClosed(Connection&, const absl::Status&) override { delete this; }
  void OnHandedOver(Connection&) override { delete this; }

 private:
  RelayShard* const owner_;
  char hello_bytes_[kHelloBytes];
  size_t hello_size_ = 0;
};

// One shard's relay state: its table, its listener and the pairs homed here.
// Lives on its shard; owned by main() so that its counters can be read after
// the shards have stopped.
class RelayShard {
 public:
  absl::Status Init(Shard& shard, const SocketAddress& address, bool busy_poll) {
    shard_ = &shard;
    if (busy_poll) busy_poller_ = std::make_unique<BusyPoller>(&shard);
    ConnectionTableLimits limits;
    limits.connection.idle_timeout = absl::InfiniteDuration();
    table_ = static_cast<ConnectionTable*>(
        shard.AddService(std::make_unique<ConnectionTable>(&shard, limits)));
    table_->SetAdopter(kRelayKind,
                       [this](Connection& connection, std::unique_ptr<MailPayload> state) {
                         auto* join = static_cast<JoinState*>(state.get());
                         ++handovers_in_;
                         Join(connection, join->hello, join->early_bytes, /*start=*/true);
                       });
    ListenerOptions listen;
    listen.address = address;
    auto listener = Listener::Create(&shard, table_, listen, [this](Connection& connection) {
      connection.set_handler(new HelloHandler(this));
      connection.Start();
    });
    if (!listener.ok()) return listener.status();
    shard.AddService(std::move(*listener));
    return absl::OkStatus();
  }

  Shard& shard() { return *shard_; }

  // Places `connection` (already on the pair's home shard) in its pair.
  // `start` is true for an adopted connection, which is not started yet.
  void Join(Connection& connection, Hello hello, std::string_view early_bytes, bool start) {
    // The handler is attached first, so that a refused connection still has
    // a live handler when its close completes.
    auto* handler = new RelayHandler(this, &connection, hello);
    connection.set_handler(handler);
    if (start) connection.Start();
    if (hello.side > 1) {
      connection.Close(CloseMode::kAbort, absl::InvalidArgumentError("bad side"));
      return;
    }
    Slot& slot = pairs_[hello.pair_id];
    if (slot.sides[hello.side] != nullptr) {
      connection.Close(CloseMode::kAbort, absl::AlreadyExistsError("side already joined"));
      return;
    }
    slot.sides[hello.side] = handler;
    if (!early_bytes.empty()) handler->OnReceive(connection, early_bytes);
    if (slot.sides[0] != nullptr && slot.sides[1] != nullptr) {
      RelayHandler::Link(slot.sides[0], slot.sides[1]);
    }
  }

  // Forgets `handler` as a side of `pair_id` (its connection is closing).
  void Leave(uint32_t pair_id, RelayHandler* handler) {
    auto it = pairs_.find(pair_id);
    if (it == pairs_.end()) return;
    for (RelayHandler*& side : it->second.sides) {
      if (side == handler) side = nullptr;
    }
    if (it->second.sides[0] == nullptr && it->second.sides[1] == nullptr) pairs_.erase(it);
  }

  void CountRelayed(size_t bytes) { relayed_bytes_ += bytes; }
  uint64_t relayed_bytes() const { return relayed_bytes_; }
  uint64_t handovers_in() const { return handovers_in_; }

 private:
  struct Slot {
    RelayHandler* sides[2] = {nullptr, nullptr};
  };

  Shard* shard_ = nullptr;
  ConnectionTable* table_ = nullptr;
  std::unique_ptr<BusyPoller> busy_poller_;
  absl::flat_hash_map<uint32_t, Slot> pairs_;
  uint64_t relayed_bytes_ = 0;
  uint64_t handovers_in_ = 0;
};

void RelayHandler::Link(RelayHandler* a, RelayHandler* b) {
  a->partner_ = b;
  b->partner_ = a;
  for (RelayHandler* side : {a, b}) {
    absl::Status status = side->connection_->Send(std::string(1, kReadyByte));
    if (!status.ok()) side->connection_->Close(CloseMode::kAbort, status);
  }
  // Bytes that arrived early go out behind the ready byte.
  for (RelayHandler* side : {a, b}) {
    if (!side->pending_.empty() && side->partner_ != nullptr) {
      std::string pending;
      pending.swap(side->pending_);
      side->Forward(pending);
    }
  }
}

void RelayHandler::OnReceive(Connection& connection, std::string_view bytes) {
  if (partner_ != nullptr) {
    Forward(bytes);
    return;
  }
  if (pending_.size() + bytes.size() > kPendingBytesMax) {
    connection.Close(CloseMode::kAbort,
                     absl::ResourceExhaustedError("too many bytes before the partner joined"));
    return;
  }
  pending_.append(bytes);
}

void RelayHandler::Forward(std::string_view bytes) {
  owner_->CountRelayed(bytes.size());
  absl::Status status = partner_->connection_->Send(bytes);
  if (!status.ok()) {
    // The partner stopped reading (queue full) or is closing: end the pair.
    connection_->Close(CloseMode::kAbort, status);
  }
}

void RelayHandler::OnClosed(Connection&, const absl::Status&) {
  if (partner_ != nullptr) {
    partner_->partner_ = nullptr;
    partner_->connection_->Close(CloseMode::kOrderly);
  }
  owner_->Leave(hello_.pair_id, this);
  delete this;
}

void HelloHandler::OnReceive(Connection& connection, std::string_view bytes) {
  size_t take = std::min(bytes.size(), kHelloBytes - hello_size_);
  std::memcpy(hello_bytes_ + hello_size_, bytes.data(), take);
  hello_size_ += take;
  bytes.remove_prefix(take);
  if (hello_size_ < kHelloBytes) return;
  Hello hello = DecodeHello(hello_bytes_);
  Shard& shard = owner_->shard();
  ShardId home(hello.pair_id % shard.shard_count());
  if (home == shard.id()) {
    // Join() replaces this handler; it must not be used afterwards.
    RelayShard* owner = owner_;
    std::string early(bytes);
    delete this;
    owner->Join(connection, hello, early, /*start=*/false);
    return;
  }
  auto state = std::make_unique<JoinState>();
  state->hello = hello;
  state->early_bytes = std::string(bytes);
  connection.Handover(home, kRelayKind, std::move(state));
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::fprintf(stderr, "bad --log_level\n");
    return 2;
  }
  SetLogLevel(level);
  auto reservation = PortReservation::Parse(absl::GetFlag(FLAGS_listen));
  if (!reservation.ok()) {
    std::fprintf(stderr, "--listen: %s\n", reservation.status().ToString().c_str());
    return 2;
  }
  const SocketAddress address = reservation->address();
  uint32_t shards = absl::GetFlag(FLAGS_shards);
  if (shards == 0) shards = std::max(1u, std::thread::hardware_concurrency());

  ShardGroup::Options options;
  options.shard_count = shards;
  options.mailbox_depth = 4096;
  options.shard.ring = Ring::Options{.sq_entries = 4096, .cq_entries = 65536};
  options.shard.recv_buffer_count = absl::GetFlag(FLAGS_recv_buffers);
  options.shard.recv_buffer_bytes = absl::GetFlag(FLAGS_recv_buffer_bytes);
  options.shard.shutdown_timeout = absl::Seconds(3);
  options.shard.pin_to_core = absl::GetFlag(FLAGS_pin);

  std::vector<std::unique_ptr<RelayShard>> relay_shards;
  for (uint32_t i = 0; i < shards; ++i) relay_shards.push_back(std::make_unique<RelayShard>());

  BlockStopSignals();
  ShardGroup group(options);
  absl::Status status = group.Start([&](Shard& shard) {
    return relay_shards[shard.id().value()]->Init(shard, address, absl::GetFlag(FLAGS_busy_poll));
  });
  if (!status.ok()) {
    std::fprintf(stderr, "start: %s\n", status.ToString().c_str());
    return 1;
  }
  status = AnnounceAddress(address, absl::GetFlag(FLAGS_port_file));
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    group.RequestStop();
    group.Join();
    return 1;
  }
  WaitForStopSignal(absl::GetFlag(FLAGS_duration));
  group.RequestStop();
  group.Join();

  uint64_t relayed_bytes = 0;
  uint64_t handovers = 0;
  for (const auto& relay_shard : relay_shards) {
    relayed_bytes += relay_shard->relayed_bytes();
    handovers += relay_shard->handovers_in();
  }
  std::printf("relay_server: shards=%u relayed_bytes=%llu handovers=%llu cpu_seconds=%.2f\n",
              shards, static_cast<unsigned long long>(relayed_bytes),
              static_cast<unsigned long long>(handovers), bench::SelfCpuSeconds());
  return 0;
}

}  // namespace
}  // namespace ringlet::relay

int main(int argc, char** argv) { return ringlet::relay::Main(argc, argv); }
