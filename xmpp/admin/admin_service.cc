#include "xmpp/admin/admin_service.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/check.h"
#include "core/log.h"
#include "xmpp/admin/account_command.h"

namespace ringlet::admin {
namespace {

// How often a command whose client is not reading checks its send queue.
constexpr absl::Duration kClientRetry = absl::Milliseconds(2);

}  // namespace

// The handler of one admin or metrics connection. Owned by its connection:
// freed when the connection closes (or, never in practice, leaves).
class AdminService::Session : public ConnectionHandler {
 public:
  Session(AdminService* service, Connection* connection)
      : service_(service), connection_(connection), id_(service->AddSession(this)) {}
  ~Session() override { service_->RemoveSession(id_); }

  uint64_t id() const { return id_; }
  void OnClosed(Connection&, const absl::Status&) override { delete this; }
  void OnHandedOver(Connection&) override { delete this; }

 protected:
  // Sends `bytes`; a refused send (queue full, closing) aborts the
  // connection: an admin client that does not read loses its answer.
  void Send(std::string bytes) {
    if (bytes.empty()) return;
    absl::Status status = connection_->Send(std::move(bytes));
    if (!status.ok()) connection_->Close(CloseMode::kAbort, status);
  }

  AdminService* const service_;
  Connection* const connection_;
  const uint64_t id_;
  std::string input_;
};

// The admin line protocol (account_command.h), one request at a time.
class AdminService::AdminSession final : public Session {
 public:
  using Session::Session;

  void OnReceive(Connection&, std::string_view bytes) override {
    input_.append(bytes.data(), bytes.size());
    ProcessLines();
  }
  // A long add-range receives nothing for a long time: keep it.
  bool OnIdle(Connection&) override { return busy_; }

  enum class SliceResult { kDone, kMore, kWaitForClient };

  // Gives the running command one slice.
  SliceResult RunSlice() {
    if (job_ == nullptr || !connection_->open()) return SliceResult::kDone;
    // Produce output only while the client keeps up with it.
    const size_t queue_bytes_max =
        service_->table_->limits().connection.send_queue_bytes_max / 4;
    if (connection_->queued_bytes() > queue_bytes_max) return SliceResult::kWaitForClient;
    std::string output;
    bool done = job_->Run(absl::Now() + service_->options_.slice, &output);
    Send(std::move(output));
    if (!done) return SliceResult::kMore;
    std::unique_ptr<AccountJob> job = std::move(job_);
    for (const std::string& user : job->deleted_users()) {
      LOG_INFO("admin: deleted account %s", user);
      if (service_->user_deleted_) service_->user_deleted_(user);
    }
    // "ok" only once the change is durable (--sync); the client may be
    // gone by then.
    AdminService* service = service_;
    const uint64_t id = id_;
    absl::Status outcome = job->status();
    service_->store_->AfterDurable([service, id, outcome](const absl::Status& durable) {
      Session* session = service->FindSession(id);
      if (session == nullptr) return;
      static_cast<AdminSession*>(session)->Answer(outcome.ok() ? durable : outcome);
    });
    return SliceResult::kDone;
  }

  void AnswerStats(bool prometheus, const std::vector<MetricsSnapshot>& shards,
                   const std::vector<uint32_t>& missing) {
    std::string out = prometheus ? RenderPrometheus(shards) : RenderTable(shards);
    if (!missing.empty()) {
      absl::StrAppend(&out, prometheus ? "# " : "", "shards that did not answer in time: ",
                      absl::StrJoin(missing, ", "), "\n");
    }
    Send(std::move(out));
    Answer(absl::OkStatus());
  }

 private:
  void Answer(const absl::Status& status) {
    if (status.ok()) {
      Send("ok\n");
    } else {
      service_->request_errors_->Increment();
      std::string message(status.message());
      std::replace(message.begin(), message.end(), '\n', ' ');
      Send(absl::StrCat("error: ", message, "\n"));
    }
    busy_ = false;
    // The next request may already be waiting; never recurse from inside a
    // mailbox or turn-work callback into more than one request per call.
    ProcessLines();
  }

  // Starts the waiting requests, one at a time. Requests answered at once
  // (bad lines) loop here rather than recurse through Answer().
  void ProcessLines() {
    if (processing_) return;
    processing_ = true;
    while (!busy_ && connection_->open()) {
      size_t end = input_.find('\n');
      if (end == std::string::npos) {
        if (input_.size() > service_->options_.line_bytes_max) {
          Send("error: request line too long\n");
          connection_->Close(CloseMode::kOrderly);
        }
        break;
      }
      std::string line = input_.substr(0, end);
      input_.erase(0, end + 1);
      if (line.empty() || line == "\r") continue;
      Start(line);
    }
    processing_ = false;
  }

  void Start(const std::string& line) {
    service_->requests_->Increment();
    busy_ = true;
    auto request = ParseAdminRequest(line);
    if (!request.ok()) {
      Answer(request.status());
      return;
    }
    if (!request->is_user_command()) {
      const bool prometheus = request->verb == AdminVerb::kStatsPrometheus;
      AdminService* service = service_;
      const uint64_t id = id_;
      service_->CollectMetrics([service, id, prometheus](std::vector<MetricsSnapshot> shards,
                                                         std::vector<uint32_t> missing) {
        // The client may have gone while the shards answered.
        Session* session = service->FindSession(id);
        if (session == nullptr) return;
        static_cast<AdminSession*>(session)->AnswerStats(prometheus, shards, missing);
      });
      return;
    }
    if (service_->store_ == nullptr) {
      Answer(absl::FailedPreconditionError("this server has no account storage"));
      return;
    }
    AccountJobOptions options;
    options.scram_iterations = service_->options_.scram_iterations;
    options.commit_batch = service_->options_.commit_batch;
    job_ = std::make_unique<AccountJob>(*std::move(request), &service_->store_->writer(), options);
    service_->ScheduleSlice(id_);
  }

  bool busy_ = false;
  bool processing_ = false;
  std::unique_ptr<AccountJob> job_;
};

// GET /metrics for Prometheus: one request per connection (HTTP/1.0 style,
// Connection: close).
class AdminService::HttpSession final : public Session {
 public:
  static constexpr size_t kRequestBytesMax = 8192;
  using Session::Session;

  void OnReceive(Connection&, std::string_view bytes) override {
    if (answered_) return;
    input_.append(bytes.data(), bytes.size());
    size_t end = input_.find("\r\n\r\n");
    if (end == std::string::npos) end = input_.find("\n\n");
    if (end == std::string::npos) {
      if (input_.size() > kRequestBytesMax) Reply("431 Request Header Fields Too Large", "");
      return;
    }
    answered_ = true;
    std::string_view head(input_);
    std::string_view request_line = head.substr(0, head.find_first_of("\r\n"));
    const bool get = request_line.substr(0, 4) == "GET ";
    std::string_view target = get ? request_line.substr(4) : std::string_view();
    target = target.substr(0, target.find(' '));
    if (!get) {
      Reply("405 Method Not Allowed", "only GET /metrics\n");
      return;
    }
    if (target != "/metrics" && target.substr(0, 9) != "/metrics?") {
      Reply("404 Not Found", "try /metrics\n");
      return;
    }
    AdminService* service = service_;
    const uint64_t id = id_;
    service_->CollectMetrics(
        [service, id](std::vector<MetricsSnapshot> shards, std::vector<uint32_t> missing) {
          Session* session = service->FindSession(id);
          if (session == nullptr) return;
          std::string body = RenderPrometheus(shards);
          if (!missing.empty()) {
            absl::StrAppend(&body, "# shards that did not answer in time: ",
                            absl::StrJoin(missing, ", "), "\n");
          }
          static_cast<HttpSession*>(session)->Reply("200 OK", body);
        });
  }

 private:
  void Reply(const char* status, const std::string& body) {
    answered_ = true;
    Send(absl::StrCat("HTTP/1.1 ", status,
                      "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"
                      "\r\nContent-Length: ",
                      body.size(), "\r\nConnection: close\r\n\r\n", body));
    connection_->Close(CloseMode::kOrderly);
  }

  bool answered_ = false;
};

AdminService::AdminService(Shard* shard, ConnectionTable* table, storage::StorageService* store,
                           const AdminOptions& options)
    : shard_(shard), table_(table), store_(store), options_(options) {}

AdminService::~AdminService() {
  for (auto& [id, collection] : collections_) {
    if (collection.timer != kNoTimer) shard_->timers().Cancel(collection.timer);
  }
}

absl::StatusOr<std::unique_ptr<AdminService>> AdminService::Create(Shard* shard,
                                                                   ConnectionTable* table,
                                                                   storage::StorageService* store,
                                                                   const AdminOptions& options) {
  absl::Status valid = options.Validate();
  if (!valid.ok()) return valid;
  std::unique_ptr<AdminService> service(new AdminService(shard, table, store, options));
  service->RegisterShardMetrics();
  AdminService* raw = service.get();
  shard->SetMessageHandler(kMailStatsRequest, [raw](ShardId from, MailMessage& message) {
    raw->OnStatsRequest(from, message);
  });
  shard->SetMessageHandler(kMailStatsReply, [raw](ShardId from, MailMessage& message) {
    raw->OnStatsReply(from, message);
  });
  if (shard->id() == ShardId(0)) {
    absl::Status listening = service->Listen();
    if (!listening.ok()) return listening;
  }
  return service;
}

absl::StatusOr<std::unique_ptr<Listener>> AdminService::ListenOn(const SocketAddress& address,
                                                                 bool http) {
  ListenerOptions listen;
  listen.address = address;
  listen.backlog = 64;
  return Listener::Create(shard_, table_, listen, [this, http](Connection& connection) {
    connection.set_handler(http ? static_cast<Session*>(new HttpSession(this, &connection))
                                : new AdminSession(this, &connection));
    connection.Start();
  });
}

absl::Status AdminService::Listen() {
  // Both addresses were checked by AdminOptions::Validate().
  if (!options_.socket_path.empty()) {
    auto listener = ListenOn(*SocketAddress::Unix(options_.socket_path), /*http=*/false);
    if (!listener.ok()) return listener.status();
    admin_listener_ = std::move(*listener);
    LOG_INFO("admin: listening on %s", admin_listener_->local_address().ToString());
  }
  if (!options_.metrics_listen.empty()) {
    auto listener = ListenOn(*SocketAddress::Parse(options_.metrics_listen), /*http=*/true);
    if (!listener.ok()) return listener.status();
    metrics_listener_ = std::move(*listener);
    LOG_INFO("admin: metrics on http://%s/metrics",
             metrics_listener_->local_address().ToString());
  }
  return absl::OkStatus();
}

void AdminService::RegisterShardMetrics() {
  Shard* shard = shard_;
  ConnectionTable* table = table_;
  metrics_.AddSampledGauge("ringlet_connections_open", "Open connections of the shard.",
                           [table] { return static_cast<int64_t>(table->size()); });
  metrics_.AddSampledGauge("ringlet_mailbox_overflow_messages",
                           "Messages parked in the shard's mailbox overflow lists.",
                           [shard] { return static_cast<int64_t>(shard->mailbox().overflow_size()); });
  metrics_.AddSampledGauge("ringlet_ring_ops_in_flight",
                           "Operations the shard has on its io_uring ring.",
                           [shard] { return static_cast<int64_t>(shard->ring().ops_in_flight()); });
  metrics_.AddSampledCounter("ringlet_loop_turns_total", "Turns of the shard's loop.",
                             [shard] { return shard->turns(); });
  metrics_.AddSampledCounter("ringlet_mailbox_wakeups_sent_total",
                             "Wake-ups this shard sent to sleeping shards.",
                             [shard] { return shard->mailbox().wakeups_sent(); });
  metrics_.AddSampledCounter("ringlet_connections_refused_total",
                             "Connections refused by the shard's connection limits.",
                             [table] { return table->refused(); });
  requests_ = metrics_.AddCounter("ringlet_admin_requests_total", "Admin requests received.");
  request_errors_ =
      metrics_.AddCounter("ringlet_admin_request_errors_total", "Admin requests answered with an error.");
}

const SocketAddress* AdminService::admin_address() const {
  return admin_listener_ ? &admin_listener_->local_address() : nullptr;
}

const SocketAddress* AdminService::metrics_address() const {
  return metrics_listener_ ? &metrics_listener_->local_address() : nullptr;
}

void AdminService::CollectMetrics(MetricsCallback done) {
  const uint64_t id = next_collection_id_++;
  const uint32_t shards = shard_->shard_count();
  Collection& collection = collections_[id];
  collection.answered.assign(shards, false);
  collection.done = std::move(done);
  collection.timer = shard_->timers().Add(shard_->now() + options_.stats_timeout, [this, id] {
    auto it = collections_.find(id);
    if (it == collections_.end()) return;
    it->second.timer = kNoTimer;
    FinishCollection(id);
  });
  for (uint32_t to = 0; to < shards; ++to) {
    MailMessage message;
    message.type = kMailStatsRequest;
    message.value = id;
    // A congested target keeps the message in order; its answer just comes
    // later (or the timeout answers without it).
    shard_->mailbox().Post(ShardId(to), std::move(message));
  }
}

void AdminService::OnStatsRequest(ShardId from, MailMessage& message) {
  MailMessage reply;
  reply.type = kMailStatsReply;
  reply.value = message.value;
  reply.payload =
      std::make_unique<MetricsPayload>(metrics_.Snapshot(static_cast<int>(shard_->id().value())));
  shard_->mailbox().Post(from, std::move(reply));
}

void AdminService::OnStatsReply(ShardId from, MailMessage& message) {
  auto it = collections_.find(message.value);
  if (it == collections_.end()) return;  // answered already (timed out)
  auto* payload = dynamic_cast<MetricsPayload*>(message.payload.get());
  if (payload == nullptr || from.value() >= it->second.answered.size()) {
    LOG_ERROR("admin: malformed stats reply from shard %u", from.value());
    return;
  }
  Collection& collection = it->second;
  if (collection.answered[from.value()]) return;
  collection.answered[from.value()] = true;
  collection.snapshots.push_back(std::move(payload->snapshot));
  if (collection.snapshots.size() == collection.answered.size()) FinishCollection(it->first);
}

void AdminService::FinishCollection(uint64_t id) {
  auto it = collections_.find(id);
  CHECK(it != collections_.end());
  Collection collection = std::move(it->second);
  collections_.erase(it);
  if (collection.timer != kNoTimer) shard_->timers().Cancel(collection.timer);
  std::sort(collection.snapshots.begin(), collection.snapshots.end(),
            [](const MetricsSnapshot& a, const MetricsSnapshot& b) { return a.shard() < b.shard(); });
  std::vector<uint32_t> missing;
  for (uint32_t shard = 0; shard < collection.answered.size(); ++shard) {
    if (!collection.answered[shard]) missing.push_back(shard);
  }
  collection.done(std::move(collection.snapshots), std::move(missing));
}

uint64_t AdminService::AddSession(Session* session) {
  const uint64_t id = next_session_id_++;
  sessions_[id] = session;
  return id;
}

void AdminService::RemoveSession(uint64_t id) { sessions_.erase(id); }

AdminService::Session* AdminService::FindSession(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void AdminService::ScheduleSlice(uint64_t id) {
  runnable_.push_back(id);
  shard_->ScheduleTurnWork(this);
}

void AdminService::RunTurnWork() {
  std::vector<uint64_t> runnable;
  runnable.swap(runnable_);
  for (uint64_t id : runnable) {
    Session* session = FindSession(id);
    if (session == nullptr) continue;
    // Only admin sessions are ever scheduled.
    switch (static_cast<AdminSession*>(session)->RunSlice()) {
      case AdminSession::SliceResult::kDone:
        break;
      case AdminSession::SliceResult::kMore:
        runnable_.push_back(id);
        break;
      case AdminSession::SliceResult::kWaitForClient:
        // Not turn work: the shard may sleep until the client has read.
        shard_->timers().Add(shard_->now() + kClientRetry, [this, id] { ScheduleSlice(id); });
        break;
    }
  }
  // Another slice next turn; the loop does not sleep while turn work waits.
  if (!runnable_.empty()) shard_->ScheduleTurnWork(this);
}

void AdminService::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (admin_listener_) admin_listener_->Stop();
  if (metrics_listener_) metrics_listener_->Stop();
}

bool AdminService::Idle() const {
  return (!admin_listener_ || admin_listener_->Idle()) &&
         (!metrics_listener_ || metrics_listener_->Idle()) && runnable_.empty();
}

}  // namespace ringlet::admin
