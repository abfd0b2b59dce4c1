// ringlet-bench: the XMPP load generator (bench/xmpp/README.md).
//
// One process on ringlet's own runtime: a ShardGroup whose shards each own
// a Connector, a ConnectionTable, a StanzaParser and their share of the
// accounts. Account pair k (accounts 2k and 2k+1 of the range) lives on
// client shard k % --shards, so a chat pair never crosses shards and no
// client state is shared; the main thread only reads atomic counters for
// the progress line, and the histograms after the shards have stopped.
//
// Scenarios:
//   login     every account logs in once (at most --concurrency logins in
//             flight), then closes; logins/s and login latency (TCP connect
//             to bind result + initial presence sent).
//   idle      every account logs in and stays for --duration; with
//             --server_pid, the server's RSS before and after, per session.
//   chat      every account logs in; when both sides of a pair are in, each
//             sends --window messages to the other and answers every
//             message it receives with a new one (self-clocked). Delivered
//             messages/s and end-to-end latency (send time in the body)
//             over --duration after --warmup.
//   presence  every account subscribes to the next --roster_size/2 accounts
//             (mutual subscriptions, answered automatically), then each
//             user keeps broadcasting presence changes, sending the next one
//             once it has received as many as it has contacts; fan-out
//             presence stanzas received/s and latency (send time in
//             <status/>).
// Nothing depends on ringletd: only RFC 6120/6121 behaviour is assumed.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/xmpp/client_session.h"
#include "bench/xmpp/load_stats.h"
#include "core/log.h"
#include "core/runtime_flags.h"
#include "core/shard.h"
#include "net/address.h"
#include "net/connection_table.h"
#include "net/connector.h"
#include "net/tls/tls_context.h"
#include "xmpp/xml/namespaces.h"

ABSL_FLAG(std::string, scenario, "login", "login | idle | chat | presence");
ABSL_FLAG(std::string, server, "127.0.0.1:5222", "server c2s address, IP:PORT");
ABSL_FLAG(std::string, domain, "example.org", "XMPP domain of the accounts");
ABSL_FLAG(std::string, user_pattern, "bench%d", "account local part; %d is the number");
ABSL_FLAG(std::string, password, "secret", "password of every account");
ABSL_FLAG(uint32_t, first, 1, "number of the first account");
ABSL_FLAG(uint32_t, count, 100, "accounts (sessions) to use; even for chat");
ABSL_FLAG(uint32_t, concurrency, 200, "logins in flight at once, over all client shards");
ABSL_FLAG(uint32_t, window, 1, "chat: messages in flight per direction per pair");
ABSL_FLAG(uint32_t, body_bytes, 64, "chat: bytes of padding in each message body");
ABSL_FLAG(uint32_t, roster_size, 10, "presence: contacts per user (even, < --count)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "idle: how long sessions stay; chat/presence: measurement window");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "chat/presence: traffic before measuring");
ABSL_FLAG(absl::Duration, login_timeout, absl::Seconds(120),
          "give up on logins not finished by then (counted as unfinished)");
ABSL_FLAG(bool, tls, false, "negotiate STARTTLS (any certificate accepted: loopback testing)");
ABSL_FLAG(bool, tls_resumption, false, "resume TLS sessions across logins (one cache per shard)");
ABSL_FLAG(std::string, sasl, "scram", "scram (SCRAM-SHA-256) | plain");
ABSL_FLAG(uint32_t, source_addresses, 0,
          "spread sockets over 127.0.0.2 .. 127.0.0.(1+N); 0 = kernel's choice");
ABSL_FLAG(int32_t, server_pid, 0, "report this process's CPU (and RSS for idle) too");
ABSL_FLAG(std::string, json, "", "also write the results as JSON to this file");
ABSL_FLAG(std::string, label, "", "free text copied into the results (e.g. the server name)");
ABSL_FLAG(bool, progress, true, "print a progress line to stderr once a second");

namespace ringlet::bench {
namespace {

enum class Scenario { kLogin, kIdle, kChat, kPresence };

struct Settings {
  Scenario scenario;
  SocketAddress server;
  std::string user_pattern;
  uint32_t first = 1;
  uint32_t count = 0;
  uint32_t window = 1;
  uint32_t roster_size = 0;
  uint32_t source_addresses = 0;
  bool tls_resumption = false;
  std::string padding;
  LoginConfig login;
};

// The local part of account number `number`.
std::string UserName(const std::string& pattern, uint32_t number) {
  std::string name = pattern;
  const size_t at = name.find("%d");
  if (at != std::string::npos) name.replace(at, 2, std::to_string(number));
  return name;
}

// Phases published by the main thread to every shard.
std::atomic<int64_t> window_start_ns{0};
std::atomic<int64_t> window_end_ns{0};
std::atomic<bool> traffic_stopped{false};
std::atomic<bool> broadcast_go{false};

std::atomic<uint64_t> error_log_budget{10};

// One load-generator shard: its accounts, its sessions, its counters.
// Created by main() before the group starts (so results outlive the
// shards); Init() runs on the shard. Counters read by the progress line are
// atomics written only by this shard.
class BenchShard final : public SessionObserver {
 public:
  BenchShard(const Settings* settings, std::vector<uint32_t> accounts, uint32_t concurrency)
      : settings_(settings), accounts_(std::move(accounts)), concurrency_(concurrency) {}

  absl::Status Init(Shard& shard) {
    shard_ = &shard;
    ConnectionTableLimits limits;
    limits.connection.idle_timeout = absl::InfiniteDuration();
    limits.connection.send_queue_bytes_max = 4 << 20;
    table_ = static_cast<ConnectionTable*>(
        shard.AddService(std::make_unique<ConnectionTable>(&shard, limits)));
    table_->SetShutdownHook([](Connection& connection) {
      if (auto* session = static_cast<ClientSession*>(connection.handler())) {
        session->Close();
      } else {
        connection.Close(CloseMode::kAbort);
      }
    });
    connector_ = static_cast<Connector*>(
        shard.AddService(std::make_unique<Connector>(&shard, table_)));
    pairs_.resize((settings_->count + 1) / 2);
    if (settings_->scenario == Scenario::kPresence) ArmBroadcastTimer();
    StartMore();
    return absl::OkStatus();
  }

  // Progress counters (any thread).
  uint64_t open() const { return open_.load(std::memory_order_relaxed); }
  uint64_t logins() const { return logins_.load(std::memory_order_relaxed); }
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  uint64_t errors() const {
    uint64_t total = 0;
    for (const auto& e : errors_) total += e.load(std::memory_order_relaxed);
    return total;
  }
  uint64_t errors(ErrorKind kind) const {
    return errors_[static_cast<size_t>(kind)].load(std::memory_order_relaxed);
  }
  uint64_t login_failures() const { return login_failures_.load(std::memory_order_relaxed); }
  // Accounts whose login finished (ok or failed).
  uint64_t finished() const { return logins() + login_failures(); }
  uint64_t subscriptions_done() const { return subscribed_.load(std::memory_order_relaxed); }
  // Valid after the shard stopped.
  const LatencyHistogram& login_latency() const { return login_latency_; }
  const LatencyHistogram& latency() const { return latency_; }
  uint64_t received_in_window() const { return received_in_window_; }
  int64_t last_login_ns() const { return last_login_ns_; }

  // Presence: asks every logged-in session to start broadcasting (posted
  // from main through a flag read at each reception/timer).
  void OnLoggedIn(ClientSession& session) override {
    const int64_t now = MonotonicNanoseconds();
    login_latency_.Record(static_cast<uint64_t>(now - session.started_ns()));
    last_login_ns_ = now;
    logins_.fetch_add(1, std::memory_order_relaxed);
    --logins_in_flight_;
    switch (settings_->scenario) {
      case Scenario::kLogin:
        session.Close();
        break;
      case Scenario::kIdle:
        break;
      case Scenario::kChat: {
        Pair& pair = pairs_[session.index() / 2];
        const int side = static_cast<int>(session.index() % 2);
        pair.session[side] = &session;
        pair.jid[side] = session.jid();
        if (pair.session[0] != nullptr && pair.session[1] != nullptr) {
          for (int s = 0; s < 2; ++s) {
            for (uint32_t i = 0; i < settings_->window; ++i) SendChat(*pair.session[s], pair.jid[1 - s]);
          }
        }
        break;
      }
      case Scenario::kPresence:
        Subscribe(session);
        break;
    }
    StartMore();
  }

  void OnStanza(ClientSession& session, const xml::ElementView& stanza) override {
    const int64_t now = MonotonicNanoseconds();
    if (settings_->scenario == Scenario::kChat && stanza.Is("message", xml::kNsClient)) {
      std::optional<std::string> body = stanza.ChildText("body", xml::kNsClient);
      if (!body.has_value()) return;  // chat states, receipts...: not ours
      Count(now, *body);
      if (traffic_stopped.load(std::memory_order_relaxed)) return;
      Pair& pair = pairs_[session.index() / 2];
      const int side = static_cast<int>(session.index() % 2);
      if (pair.session[1 - side] != nullptr) SendChat(session, pair.jid[1 - side]);
      return;
    }
    if (settings_->scenario == Scenario::kPresence && stanza.Is("presence", xml::kNsClient)) {
      OnPresence(session, stanza, now);
    }
  }

  void OnLoginFailed(ClientSession& session, ErrorKind kind, const std::string& detail) override {
    CountError(kind, session, detail);
    login_failures_.fetch_add(1, std::memory_order_relaxed);
    --logins_in_flight_;
    StartMore();
  }

  void OnSessionError(ClientSession& session, ErrorKind kind, const std::string& detail) override {
    CountError(kind, session, detail);
  }

  void OnSessionClosed(ClientSession& session) override {
    open_.fetch_sub(1, std::memory_order_relaxed);
    if (settings_->scenario == Scenario::kChat) {
      Pair& pair = pairs_[session.index() / 2];
      pair.session[session.index() % 2] = nullptr;
    }
    if (settings_->scenario == Scenario::kPresence) {
      presence_state_.erase(&session);
    }
  }

 private:
  struct Pair {
    ClientSession* session[2] = {nullptr, nullptr};
    std::string jid[2];
  };
  struct PresenceState {
    uint32_t received_since_send = 0;
    bool broadcasting = false;
  };

  void CountError(ErrorKind kind, ClientSession& session, const std::string& detail) {
    errors_[static_cast<size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
    if (error_log_budget.fetch_sub(1, std::memory_order_relaxed) > 0 &&
        !traffic_stopped.load(std::memory_order_relaxed)) {
      std::fprintf(stderr, "error (%s) account %s: %s\n", ErrorKindName(kind),
                   UserName(settings_->user_pattern, settings_->first + session.index()).c_str(),
                   detail.c_str());
    }
  }

  // Records a message or presence whose payload starts with its send time.
  void Count(int64_t now, const std::string& payload) {
    received_.fetch_add(1, std::memory_order_relaxed);
    int64_t sent = 0;
    const size_t space = payload.find(' ');
    if (!absl::SimpleAtoi(payload.substr(0, space), &sent)) return;
    const int64_t start = window_start_ns.load(std::memory_order_relaxed);
    const int64_t end = window_end_ns.load(std::memory_order_relaxed);
    if (start == 0 || now < start || (end != 0 && now >= end)) return;
    ++received_in_window_;
    latency_.Record(static_cast<uint64_t>(std::max<int64_t>(0, now - sent)));
  }

  void SendChat(ClientSession& from, const std::string& to) {
    from.Send(absl::StrCat("<message to='", to, "' type='chat'><body>", MonotonicNanoseconds(), " ",
                           settings_->padding, "</body></message>"));
  }

  std::string BareJid(uint32_t index) const {
    return absl::StrCat(UserName(settings_->user_pattern, settings_->first + index), "@",
                        settings_->login.domain);
  }

  // Presence set-up: subscribe to the next roster_size/2 accounts (mod
  // count); the contacts answer `subscribed` and subscribe back, so every
  // user ends with roster_size mutual contacts.
  void Subscribe(ClientSession& session) {
    presence_state_[&session] = PresenceState{};
    const uint32_t half = settings_->roster_size / 2;
    std::string out;
    for (uint32_t k = 1; k <= half; ++k) {
      out += absl::StrCat("<presence to='", BareJid((session.index() + k) % settings_->count),
                          "' type='subscribe'/>");
    }
    session.Send(out);
  }

  void BroadcastPresence(ClientSession& session, PresenceState& state) {
    state.received_since_send = 0;
    state.broadcasting = true;
    session.Send(absl::StrCat("<presence><show>away</show><status>", MonotonicNanoseconds(),
                              " </status></presence>"));
  }

  void OnPresence(ClientSession& session, const xml::ElementView& presence, int64_t now) {
    const std::string type = presence.Attribute("type").value_or("");
    const std::string from = presence.Attribute("from").value_or("");
    if (type == "subscribe") {
      // Accept, and subscribe back (idempotent when already mutual).
      const std::string bare = from.substr(0, from.find('/'));
      session.Send(absl::StrCat("<presence to='", bare, "' type='subscribed'/><presence to='", bare,
                                "' type='subscribe'/>"));
      return;
    }
    if (type == "subscribed") {
      subscribed_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (!type.empty()) return;  // unavailable, probe, unsubscribe...
    std::optional<std::string> status = presence.ChildText("status", xml::kNsClient);
    if (!status.has_value()) return;  // initial presence of a contact
    Count(now, *status);
    auto it = presence_state_.find(&session);
    if (it == presence_state_.end()) return;
    if (++it->second.received_since_send >= settings_->roster_size &&
        !traffic_stopped.load(std::memory_order_relaxed)) {
      BroadcastPresence(session, it->second);
    }
  }

 public:
  // Presence: starts broadcasting from every session (on this shard).
  void StartBroadcasts() {
    for (auto& [session, state] : presence_state_) {
      if (!state.broadcasting) BroadcastPresence(*session, state);
    }
  }

 private:
  // Presence: polls (every 50 ms) for main's go-ahead to start broadcasting.
  void ArmBroadcastTimer() {
    shard_->timers().Add(shard_->now() + absl::Milliseconds(50), [this] {
      if (shard_->stopping()) return;
      if (broadcast_go.load(std::memory_order_relaxed)) {
        StartBroadcasts();
      } else {
        ArmBroadcastTimer();
      }
    });
  }

 private:
  // Starts connects until `concurrency_` logins are in flight.
  void StartMore() {
    while (logins_in_flight_ < concurrency_ && next_ < accounts_.size() && !shard_->stopping()) {
      const uint32_t index = accounts_[next_++];
      ++logins_in_flight_;
      ConnectOptions options;
      options.to = settings_->server;
      if (settings_->source_addresses > 0) {
        options.from = *SocketAddress::Parse(
            absl::StrFormat("127.0.0.%u:0", 2 + index % settings_->source_addresses));
      }
      const int64_t connect_start = MonotonicNanoseconds();
      connector_->Connect(options, [this, index, connect_start](absl::StatusOr<Connection*> result) {
        if (!result.ok()) {
          errors_[static_cast<size_t>(ErrorKind::kConnect)].fetch_add(1, std::memory_order_relaxed);
          if (error_log_budget.fetch_sub(1, std::memory_order_relaxed) > 0) {
            std::fprintf(stderr, "error (connect) account %u: %s\n", settings_->first + index,
                         result.status().ToString().c_str());
          }
          login_failures_.fetch_add(1, std::memory_order_relaxed);
          --logins_in_flight_;
          if (!shard_->stopping()) StartMore();
          return;
        }
        open_.fetch_add(1, std::memory_order_relaxed);
        auto* session = new ClientSession(
            &settings_->login, this, &parser_, settings_->tls_resumption ? &tls_cache_ : nullptr,
            *result, index, UserName(settings_->user_pattern, settings_->first + index));
        // Login latency counts from the start of the TCP connect.
        session->Start(connect_start);
      });
    }
  }

  const Settings* const settings_;
  const std::vector<uint32_t> accounts_;  // indices into the range
  const uint32_t concurrency_;
  Shard* shard_ = nullptr;
  ConnectionTable* table_ = nullptr;
  Connector* connector_ = nullptr;
  xml::StanzaParser parser_;
  TlsClientSessionCache tls_cache_;
  size_t next_ = 0;
  uint32_t logins_in_flight_ = 0;
  std::vector<Pair> pairs_;
  absl::flat_hash_map<ClientSession*, PresenceState> presence_state_;

  std::atomic<uint64_t> open_{0};
  std::atomic<uint64_t> logins_{0};
  std::atomic<uint64_t> login_failures_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> subscribed_{0};
  std::atomic<uint64_t> errors_[static_cast<size_t>(ErrorKind::kCount)] = {};
  LatencyHistogram login_latency_;
  LatencyHistogram latency_;
  uint64_t received_in_window_ = 0;
  int64_t last_login_ns_ = 0;
};

// Sums a counter over every shard.
template <typename Getter>
uint64_t Sum(const std::vector<std::unique_ptr<BenchShard>>& shards, Getter getter) {
  uint64_t total = 0;
  for (const auto& shard : shards) total += getter(*shard);
  return total;
}

double Ms(uint64_t ns) { return static_cast<double>(ns) * 1e-6; }

int Main(int argc, char** argv) {
  ParseCommandLine(argc, argv,
                   "ringlet-bench --scenario=login|idle|chat|presence --server=IP:PORT "
                   "--domain=D --count=N [flags]");
  SetLogLevel(LogLevel::kWarning);
  signal(SIGPIPE, SIG_IGN);

  Settings settings;
  const std::string scenario_name = absl::GetFlag(FLAGS_scenario);
  if (scenario_name == "login") {
    settings.scenario = Scenario::kLogin;
  } else if (scenario_name == "idle") {
    settings.scenario = Scenario::kIdle;
  } else if (scenario_name == "chat") {
    settings.scenario = Scenario::kChat;
  } else if (scenario_name == "presence") {
    settings.scenario = Scenario::kPresence;
  } else {
    std::fprintf(stderr, "unknown --scenario=%s\n", scenario_name.c_str());
    return 2;
  }
  auto server = SocketAddress::Parse(absl::GetFlag(FLAGS_server));
  if (!server.ok()) {
    std::fprintf(stderr, "bad --server: %s\n", server.status().ToString().c_str());
    return 2;
  }
  settings.server = *server;
  settings.user_pattern = absl::GetFlag(FLAGS_user_pattern);
  settings.first = absl::GetFlag(FLAGS_first);
  settings.count = absl::GetFlag(FLAGS_count);
  settings.window = std::max(1u, absl::GetFlag(FLAGS_window));
  settings.roster_size = absl::GetFlag(FLAGS_roster_size);
  settings.source_addresses = std::min(absl::GetFlag(FLAGS_source_addresses), 250u);
  settings.tls_resumption = absl::GetFlag(FLAGS_tls_resumption);
  settings.padding.assign(absl::GetFlag(FLAGS_body_bytes), 'x');
  settings.login.domain = absl::GetFlag(FLAGS_domain);
  settings.login.password = absl::GetFlag(FLAGS_password);
  settings.login.starttls = absl::GetFlag(FLAGS_tls);
  const std::string sasl = absl::GetFlag(FLAGS_sasl);
  if (sasl != "scram" && sasl != "plain") {
    std::fprintf(stderr, "--sasl must be scram or plain\n");
    return 2;
  }
  settings.login.sasl = sasl == "plain" ? SaslChoice::kPlain : SaslChoice::kScramSha256;
  settings.login.initial_presence = true;
  if (settings.count == 0 ||
      (settings.scenario == Scenario::kChat && settings.count % 2 != 0) ||
      (settings.scenario == Scenario::kPresence &&
       (settings.roster_size < 2 || settings.roster_size % 2 != 0 ||
        settings.roster_size >= settings.count))) {
    std::fprintf(stderr,
                 "need --count >= 1 (even for chat); presence needs an even --roster_size "
                 "in [2, count)\n");
    return 2;
  }
  std::unique_ptr<TlsContext> tls_context;
  if (settings.login.starttls) {
    TlsClientOptions options;
    options.insecure_accept_any_certificate = true;
    auto context = TlsContext::CreateClient(options);
    if (!context.ok()) {
      std::fprintf(stderr, "TLS: %s\n", context.status().ToString().c_str());
      return 1;
    }
    tls_context = std::move(*context);
    settings.login.tls_context = tls_context.get();
  }

  auto group_options = ShardGroupOptionsFromFlags();
  if (!group_options.ok()) {
    std::fprintf(stderr, "%s\n", group_options.status().ToString().c_str());
    return 2;
  }
  group_options->shard.shutdown_timeout = absl::Seconds(5);
  const uint32_t shards = group_options->shard_count;
  const uint32_t concurrency = std::max(absl::GetFlag(FLAGS_concurrency), shards);
  std::vector<std::unique_ptr<BenchShard>> bench_shards;
  for (uint32_t s = 0; s < shards; ++s) {
    std::vector<uint32_t> accounts;
    for (uint32_t pair = s; 2 * pair < settings.count; pair += shards) {
      accounts.push_back(2 * pair);
      if (2 * pair + 1 < settings.count) accounts.push_back(2 * pair + 1);
    }
    bench_shards.push_back(std::make_unique<BenchShard>(
        &settings, std::move(accounts), concurrency / shards + (s < concurrency % shards ? 1 : 0)));
  }

  const int server_pid = absl::GetFlag(FLAGS_server_pid);
  const int64_t rss_before_kib = ProcessRssKiB(server_pid);
  const double self_cpu_start = SelfCpuSeconds();
  const double server_cpu_start = ProcessCpuSeconds(server_pid);
  const int64_t start_ns = MonotonicNanoseconds();

  ShardGroup group(*group_options);
  absl::Status status =
      group.Start([&](Shard& shard) { return bench_shards[shard.id().value()]->Init(shard); });
  if (!status.ok()) {
    std::fprintf(stderr, "start: %s\n", status.ToString().c_str());
    return 1;
  }

  const bool progress = absl::GetFlag(FLAGS_progress);
  uint64_t last_logins = 0;
  uint64_t last_received = 0;
  int64_t last_progress_ns = start_ns;
  auto tick = [&](const char* phase) {
    const int64_t now = MonotonicNanoseconds();
    if (!progress || now - last_progress_ns < 1'000'000'000) return;
    const double seconds = static_cast<double>(now - last_progress_ns) * 1e-9;
    const uint64_t logins = Sum(bench_shards, [](const BenchShard& b) { return b.logins(); });
    const uint64_t received = Sum(bench_shards, [](const BenchShard& b) { return b.received(); });
    std::fprintf(stderr,
                 "[%6.1fs %s] open=%llu logins=%llu (%.0f/s) failed_logins=%llu received=%.0f/s "
                 "errors=%llu\n",
                 static_cast<double>(now - start_ns) * 1e-9, phase,
                 static_cast<unsigned long long>(
                     Sum(bench_shards, [](const BenchShard& b) { return b.open(); })),
                 static_cast<unsigned long long>(logins),
                 static_cast<double>(logins - last_logins) / seconds,
                 static_cast<unsigned long long>(
                     Sum(bench_shards, [](const BenchShard& b) { return b.login_failures(); })),
                 static_cast<double>(received - last_received) / seconds,
                 static_cast<unsigned long long>(
                     Sum(bench_shards, [](const BenchShard& b) { return b.errors(); })));
    last_logins = logins;
    last_received = received;
    last_progress_ns = now;
  };
  auto sleep_phase = [&](absl::Duration duration, const char* phase) {
    const absl::Time end = absl::Now() + duration;
    while (absl::Now() < end) {
      absl::SleepFor(std::min(absl::Milliseconds(50), end - absl::Now()));
      tick(phase);
    }
  };

  // Phase 1: logins.
  const absl::Time login_deadline = absl::Now() + absl::GetFlag(FLAGS_login_timeout);
  while (absl::Now() < login_deadline &&
         Sum(bench_shards, [](const BenchShard& b) { return b.finished(); }) < settings.count) {
    absl::SleepFor(absl::Milliseconds(20));
    tick("login");
  }
  const int64_t logins_done_ns = MonotonicNanoseconds();
  const double login_cpu_self = SelfCpuSeconds() - self_cpu_start;
  const double login_cpu_server =
      server_pid > 0 ? ProcessCpuSeconds(server_pid) - server_cpu_start : -1;
  const uint64_t logged_in = Sum(bench_shards, [](const BenchShard& b) { return b.logins(); });

  // Phase 2: the scenario's measurement window.
  int64_t rss_after_kib = -1;
  uint64_t sessions_at_rss = 0;
  double window_seconds = 0;
  double window_cpu_self = 0;
  double window_cpu_server = -1;
  if (settings.scenario == Scenario::kPresence) {
    // Let subscriptions settle: until no new `subscribed` arrives for 2 s.
    uint64_t last = 0;
    absl::Time quiet_since = absl::Now();
    const absl::Time give_up = absl::Now() + absl::Seconds(120);
    while (absl::Now() - quiet_since < absl::Seconds(2) && absl::Now() < give_up) {
      sleep_phase(absl::Milliseconds(200), "subscribe");
      const uint64_t now_count =
          Sum(bench_shards, [](const BenchShard& b) { return b.subscriptions_done(); });
      if (now_count != last) {
        last = now_count;
        quiet_since = absl::Now();
      }
    }
    broadcast_go.store(true);
  }
  if (settings.scenario == Scenario::kChat || settings.scenario == Scenario::kPresence) {
    sleep_phase(absl::GetFlag(FLAGS_warmup), "warmup");
  }
  if (settings.scenario != Scenario::kLogin) {
    const double cpu_self = SelfCpuSeconds();
    const double cpu_server = ProcessCpuSeconds(server_pid);
    const int64_t begin = MonotonicNanoseconds();
    window_start_ns.store(begin);
    if (settings.scenario == Scenario::kIdle) {
      sleep_phase(std::min(absl::Seconds(2), absl::GetFlag(FLAGS_duration)), "idle");
      rss_after_kib = ProcessRssKiB(server_pid);
      sessions_at_rss = Sum(bench_shards, [](const BenchShard& b) { return b.open(); });
      sleep_phase(absl::GetFlag(FLAGS_duration) - std::min(absl::Seconds(2), absl::GetFlag(FLAGS_duration)),
                  "idle");
    } else {
      sleep_phase(absl::GetFlag(FLAGS_duration), settings.scenario == Scenario::kChat ? "chat" : "presence");
    }
    const int64_t end = MonotonicNanoseconds();
    window_end_ns.store(end);
    window_seconds = static_cast<double>(end - begin) * 1e-9;
    window_cpu_self = SelfCpuSeconds() - cpu_self;
    window_cpu_server = server_pid > 0 ? ProcessCpuSeconds(server_pid) - cpu_server : -1;
  }
  const uint64_t open_at_end = Sum(bench_shards, [](const BenchShard& b) { return b.open(); });
  traffic_stopped.store(true);
  group.RequestStop();
  group.Join();

  // Results.
  LatencyHistogram login_latency;
  LatencyHistogram latency;
  uint64_t received_in_window = 0;
  int64_t last_login_ns = start_ns;
  for (const auto& b : bench_shards) {
    login_latency.Merge(b->login_latency());
    latency.Merge(b->latency());
    received_in_window += b->received_in_window();
    last_login_ns = std::max(last_login_ns, b->last_login_ns());
  }
  const uint64_t failed = Sum(bench_shards, [](const BenchShard& b) { return b.login_failures(); });
  const uint64_t unfinished = settings.count - std::min<uint64_t>(settings.count, logged_in + failed);
  const double login_seconds =
      static_cast<double>((settings.scenario == Scenario::kLogin ? logins_done_ns : last_login_ns) -
                          start_ns) * 1e-9;
  const double logins_per_second =
      login_seconds > 0 ? static_cast<double>(logged_in) / login_seconds : 0;
  uint64_t errors_total = 0;
  std::string error_text;
  std::string error_json;
  for (size_t k = 0; k < static_cast<size_t>(ErrorKind::kCount); ++k) {
    const uint64_t n = Sum(bench_shards, [k](const BenchShard& b) { return b.errors(static_cast<ErrorKind>(k)); });
    errors_total += n;
    absl::StrAppend(&error_text, " ", ErrorKindName(static_cast<ErrorKind>(k)), "=", n);
    absl::StrAppend(&error_json, k == 0 ? "" : ", ", "\"", ErrorKindName(static_cast<ErrorKind>(k)),
                    "\": ", n);
  }
  const double rate = window_seconds > 0 ? static_cast<double>(received_in_window) / window_seconds : 0;
  const double rss_per_session_kib =
      (rss_before_kib >= 0 && rss_after_kib >= 0 && sessions_at_rss > 0)
          ? static_cast<double>(rss_after_kib - rss_before_kib) / static_cast<double>(sessions_at_rss)
          : -1;
  // CPU shares over the phase that matters: logins for login, else the window.
  const double phase_seconds = settings.scenario == Scenario::kLogin
                                   ? static_cast<double>(logins_done_ns - start_ns) * 1e-9
                                   : window_seconds;
  const double cpu_self = settings.scenario == Scenario::kLogin ? login_cpu_self : window_cpu_self;
  const double cpu_server = settings.scenario == Scenario::kLogin ? login_cpu_server : window_cpu_server;
  const double self_cpu_percent = phase_seconds > 0 ? 100 * cpu_self / phase_seconds : 0;
  const double server_cpu_percent =
      (phase_seconds > 0 && cpu_server >= 0) ? 100 * cpu_server / phase_seconds : -1;

  std::printf("ringlet-bench %s %s: %s, %u accounts, concurrency %u, %s, SASL %s, %u client shards\n",
              scenario_name.c_str(), absl::GetFlag(FLAGS_label).c_str(),
              settings.server.ToString().c_str(), settings.count, concurrency,
              settings.login.starttls ? "STARTTLS" : "plain TCP", sasl.c_str(), shards);
  std::printf("  logins: %llu ok, %llu failed, %llu unfinished in %.2f s = %.0f logins/s; latency "
              "p50 %.2f ms p99 %.2f ms p999 %.2f ms\n",
              static_cast<unsigned long long>(logged_in), static_cast<unsigned long long>(failed),
              static_cast<unsigned long long>(unfinished), login_seconds, logins_per_second,
              Ms(login_latency.Percentile(0.5)), Ms(login_latency.Percentile(0.99)),
              Ms(login_latency.Percentile(0.999)));
  if (settings.scenario == Scenario::kIdle) {
    std::printf("  idle: %llu sessions open for %.1f s; server RSS %lld KiB -> %lld KiB = %.2f KiB per session\n",
                static_cast<unsigned long long>(sessions_at_rss), window_seconds,
                static_cast<long long>(rss_before_kib), static_cast<long long>(rss_after_kib),
                rss_per_session_kib);
  }
  if (settings.scenario == Scenario::kChat || settings.scenario == Scenario::kPresence) {
    std::printf("  %s: %llu %s in %.2f s = %.0f/s; latency p50 %.3f ms p99 %.3f ms p999 %.3f ms\n",
                scenario_name.c_str(), static_cast<unsigned long long>(received_in_window),
                settings.scenario == Scenario::kChat ? "messages delivered" : "presence stanzas received",
                window_seconds, rate, Ms(latency.Percentile(0.5)), Ms(latency.Percentile(0.99)),
                Ms(latency.Percentile(0.999)));
  }
  std::printf("  sessions open at the end: %llu\n", static_cast<unsigned long long>(open_at_end));
  std::printf("  CPU over the %s phase: ringlet-bench %.0f%%, server %s\n",
              settings.scenario == Scenario::kLogin ? "login" : "measured",
              self_cpu_percent,
              server_cpu_percent >= 0 ? absl::StrFormat("%.0f%%", server_cpu_percent).c_str()
                                      : "(no --server_pid)");
  std::printf("  errors: %llu total:%s\n", static_cast<unsigned long long>(errors_total),
              error_text.c_str());

  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    std::ofstream json(json_path);
    json << absl::StrFormat(
        "{\"scenario\": \"%s\", \"label\": \"%s\", \"server\": \"%s\", \"count\": %u, "
        "\"concurrency\": %u, \"window\": %u, \"roster_size\": %u, \"tls\": %s, \"sasl\": \"%s\", "
        "\"client_shards\": %u, \"logins_ok\": %u, \"logins_failed\": %u, \"logins_unfinished\": %u, "
        "\"login_seconds\": %.3f, \"logins_per_second\": %.1f, \"login_p50_ms\": %.3f, "
        "\"login_p99_ms\": %.3f, \"login_p999_ms\": %.3f, \"window_seconds\": %.3f, "
        "\"received\": %u, \"received_per_second\": %.1f, \"latency_p50_ms\": %.4f, "
        "\"latency_p99_ms\": %.4f, \"latency_p999_ms\": %.4f, \"idle_sessions\": %u, "
        "\"server_rss_before_kib\": %d, \"server_rss_after_kib\": %d, "
        "\"server_rss_per_session_kib\": %.3f, \"bench_cpu_percent\": %.1f, "
        "\"server_cpu_percent\": %.1f, \"errors_total\": %u, \"errors\": {%s}}\n",
        scenario_name, absl::GetFlag(FLAGS_label), settings.server.ToString(), settings.count,
        concurrency, settings.window, settings.roster_size, settings.login.starttls ? "true" : "false",
        sasl, shards, logged_in, failed, unfinished, login_seconds, logins_per_second,
        Ms(login_latency.Percentile(0.5)), Ms(login_latency.Percentile(0.99)),
        Ms(login_latency.Percentile(0.999)), window_seconds, received_in_window, rate,
        Ms(latency.Percentile(0.5)), Ms(latency.Percentile(0.99)), Ms(latency.Percentile(0.999)),
        sessions_at_rss, rss_before_kib, rss_after_kib, rss_per_session_kib, self_cpu_percent,
        server_cpu_percent, errors_total, error_json);
  }
  // Exit 0 only for a clean run: every login done, no error, and traffic
  // where the scenario has some.
  const bool traffic_ok = (settings.scenario != Scenario::kChat && settings.scenario != Scenario::kPresence) ||
                          received_in_window > 0;
  return (logged_in == settings.count && errors_total == 0 && traffic_ok) ? 0 : 1;
}

}  // namespace
}  // namespace ringlet::bench

int main(int argc, char** argv) { return ringlet::bench::Main(argc, argv); }
