#pragma once

// AdminService: the administration side of ringletd, one per shard.
//
// Every shard's AdminService owns that shard's MetricsRegistry (other
// components of the shard register their counters through metrics()) and
// answers stats requests from other shards with a snapshot of it.
//
// On shard 0 it also listens:
// - on a local socket (AdminOptions::socket_path, mode 0600) for the admin
//   line protocol of xmpp/admin/account_command.h, which ringletctl speaks:
//   one request per line, answered by zero or more lines and then "ok" or
//   "error: <message>". Requests of one connection run one at a time, in
//   order; account commands write through shard 0's StorageService and
//   are durable (--sync) before "ok"; add-range runs in slices of AdminOptions::slice
//   per loop turn so that shard 0 keeps serving its clients;
// - optionally on AdminOptions::metrics_listen (HTTP/1.x, GET /metrics), for
//   Prometheus.
// Both ride shard 0's ring through the ordinary Listener and Connection.
//
// stats: shard 0 posts kMailStatsRequest to every shard (itself included);
// each answers kMailStatsReply with its MetricsSnapshot as the message
// payload; once all have answered, or after AdminOptions::stats_timeout,
// shard 0 merges what it has and answers (naming the shards that did not).
//
// Lifecycle: created by ringletd's shard init function (Create), given to
// the shard (Shard::AddService), stopped with the shard: Stop() closes the
// listeners; Idle() once they are closed and no command is running.
// Limits: request line length (line_bytes_max); output is produced only
// while the connection's send queue is below a quarter of its limit.
//
// Shard-local: every method runs on the service's shard.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/mailbox.h"
#include "core/metrics.h"
#include "core/shard.h"
#include "net/connection_table.h"
#include "net/listener.h"
#include "storage/storage_service.h"
#include "xmpp/admin/admin_flags.h"

namespace ringlet::admin {

// A MetricsSnapshot travelling through the mailbox.
class MetricsPayload final : public MailPayload {
 public:
  explicit MetricsPayload(MetricsSnapshot snapshot) : snapshot(std::move(snapshot)) {}
  MetricsSnapshot snapshot;
};

class AdminService final : public ShardService, public TurnWork {
 public:
  // Mailbox message types (protocols use 32 and up). value: request id.
  static constexpr uint32_t kMailStatsRequest = 40;
  static constexpr uint32_t kMailStatsReply = 41;

  // Called with the bare JID of a deleted account, on shard 0, after the
  // deletion is committed.
  using UserDeletedCallback = std::function<void(const std::string& bare_jid)>;
  // Receives one snapshot per shard that answered, in shard order, and the
  // ids of the shards that did not answer in time.
  using MetricsCallback =
      absl::AnyInvocable<void(std::vector<MetricsSnapshot> shards, std::vector<uint32_t> missing)>;

  // Creates the service of `shard`. On shard 0 it opens the listeners of
  // `options` (an error if one cannot be opened) and runs account commands
  // through `store` (the shard's storage service; the answer waits until
  // the change is durable), which may be null on other shards (and on
  // shard 0, where account commands then answer an error). `table` is the shard's
  // connection table: admin connections live there, and its size is the
  // ringlet_connections_open gauge.
  static absl::StatusOr<std::unique_ptr<AdminService>> Create(Shard* shard, ConnectionTable* table,
                                                              storage::StorageService* store,
                                                              const AdminOptions& options);
  ~AdminService();

  MetricsRegistry& metrics() { return metrics_; }
  void SetUserDeletedCallback(UserDeletedCallback callback) {
    user_deleted_ = std::move(callback);
  }

  // Asks every shard for its snapshot and calls `done` on this shard with
  // what arrived (see MetricsCallback).
  void CollectMetrics(MetricsCallback done);

  // The bound address of the admin socket / metrics listener (shard 0), or
  // null when it is off.
  const SocketAddress* admin_address() const;
  const SocketAddress* metrics_address() const;

  void Stop() override;
  bool Idle() const override;
  void RunTurnWork() override;

 private:
  class Session;
  class AdminSession;
  class HttpSession;
  struct Collection {
    std::vector<MetricsSnapshot> snapshots;
    std::vector<bool> answered;
    TimerId timer = kNoTimer;
    MetricsCallback done;
  };

  AdminService(Shard* shard, ConnectionTable* table, storage::StorageService* store,
               const AdminOptions& options);
  absl::Status Listen();
  // Opens a listener whose connections get admin (or, with `http`, metrics)
  // sessions.
  absl::StatusOr<std::unique_ptr<Listener>> ListenOn(const SocketAddress& address, bool http);
  void RegisterShardMetrics();
  void OnStatsRequest(ShardId from, MailMessage& message);
  void OnStatsReply(ShardId from, MailMessage& message);
  void FinishCollection(uint64_t id);
  // Session bookkeeping: sessions find each other (and answers find their
  // session) by id, never by a pointer that may have been freed.
  uint64_t AddSession(Session* session);
  void RemoveSession(uint64_t id);
  Session* FindSession(uint64_t id);
  // Asks for AdminSession `id`'s running command to get a slice next turn.
  void ScheduleSlice(uint64_t id);

  Shard* const shard_;
  ConnectionTable* const table_;
  storage::StorageService* const store_;
  const AdminOptions options_;
  MetricsRegistry metrics_;
  Counter* requests_ = nullptr;
  Counter* request_errors_ = nullptr;
  UserDeletedCallback user_deleted_;
  std::unique_ptr<Listener> admin_listener_;
  std::unique_ptr<Listener> metrics_listener_;
  bool stopped_ = false;

  uint64_t next_session_id_ = 1;
  absl::flat_hash_map<uint64_t, Session*> sessions_;
  std::vector<uint64_t> runnable_;  // sessions whose command wants a slice
  uint64_t next_collection_id_ = 1;
  absl::flat_hash_map<uint64_t, Collection> collections_;
};

}  // namespace ringlet::admin
