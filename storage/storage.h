#pragma once

// The storage interface: everything the server keeps across restarts.
// Accounts with their SCRAM keys, rosters with versions, offline message
// queues, the message archive (per-user strictly increasing ids) and read
// markers. Pure virtual so that tests can fake it; the default engine is
// RocksDbStorage (storage/rocksdb_storage.h).
//
// Users are bare JIDs ("local@domain", already normalised by the caller);
// contacts in rosters, archives and read markers are bare JIDs too. Nothing
// stored depends on the shard count.
//
// Threads and shards: one Storage per process, shared by every shard; its
// reads are thread-safe and see committed data. Writes go through a
// StorageWriter, one per shard, used only by that shard's thread: a shard
// collects the writes of one loop turn in its writer, and its StorageService
// (storage_service.h) applies them with Commit() once at the end of the turn
// and holds every reply that depends on them until they are durable. All writes for a user go through the writer of the user's home
// shard, so no two writers ever touch the same user.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/shard_id.h"
#include "storage/scram_credentials.h"

namespace ringlet::storage {

// RFC 6121 §2.1.2.5 subscription states.
enum class Subscription : uint8_t { kNone = 0, kTo = 1, kFrom = 2, kBoth = 3 };

struct RosterItem {
  std::string jid;  // the contact's bare JID; the item's key
  std::string name;
  Subscription subscription = Subscription::kNone;
  bool ask = false;         // pending out: we asked the contact to subscribe
  bool pending_in = false;  // the contact asked; the user has not approved yet
  std::vector<std::string> groups;

  bool operator==(const RosterItem&) const = default;
};

// A whole roster. version grows by one with every change (XEP-0237 roster
// versioning uses its decimal form); 0 means never changed.
struct Roster {
  uint64_t version = 0;
  std::vector<RosterItem> items;  // ordered by jid
};

struct OfflineMessage {
  uint64_t id = 0;  // set by AppendOfflineMessage; increasing per user
  int64_t stored_at_ms = 0;  // Unix time, from the caller's clock
  std::string stanza;        // serialized stanza bytes
};

struct ArchivedMessage {
  uint64_t id = 0;  // set by AppendArchivedMessage; strictly increasing
  int64_t timestamp_ms = 0;  // Unix time, from the caller's clock
  std::string with;          // the other party's bare JID
  bool outgoing = false;     // sent by the user (true) or received (false)
  std::string stanza;

  bool operator==(const ArchivedMessage&) const = default;
};

// Selects archived messages with after_id < id < before_id (before_id 0: no
// upper bound), optionally only those with one contact, at most `limit` of
// them. With from_end the newest `limit` matches are chosen (a MAM
// "before" page); results are always in increasing id order.
struct ArchiveQuery {
  uint64_t after_id = 0;
  uint64_t before_id = 0;
  std::string with;  // "" for every contact
  uint32_t limit = 50;
  bool from_end = false;
};

// Incoming messages from one contact after the user's read marker.
struct UnreadCount {
  std::string contact;
  uint32_t count = 0;   // capped at the engine's unread_count_max
  uint64_t last_id = 0;  // the newest unread message

  bool operator==(const UnreadCount&) const = default;
};

// A page of user names of one domain.
struct UserPage {
  std::vector<std::string> users;  // bare JIDs, ordered by local part
  std::string next_cursor;  // pass as `after_local` for the next page; ""
                            // when this was the last page
};

// Reads. Methods return NotFound where a single thing is asked for and is
// missing, InvalidArgument for a malformed JID, and Internal/Unavailable for
// engine failures.
class StorageReader {
 public:
  virtual ~StorageReader() = default;

  virtual absl::StatusOr<bool> AccountExists(std::string_view user) = 0;
  // NotFound if the account or its credentials for `hash` do not exist.
  virtual absl::StatusOr<ScramCredentials> GetScramCredentials(
      std::string_view user, ScramHash hash) = 0;
  // Lists the accounts of `domain` whose local part sorts after
  // `after_local` ("" to start), at most `limit`.
  virtual absl::StatusOr<UserPage> ListUsers(std::string_view domain,
                                             std::string_view after_local,
                                             uint32_t limit) = 0;

  virtual absl::StatusOr<Roster> GetRoster(std::string_view user) = 0;

  // Returns the user's offline messages with id > after_id, oldest first,
  // stopping after the first message that brings their stanzas' total to
  // bytes_max or more (so at least one, if there is any): a page.
  virtual absl::StatusOr<std::vector<OfflineMessage>> FetchOfflineMessages(
      std::string_view user, uint64_t after_id = 0, size_t bytes_max = SIZE_MAX) = 0;
  virtual absl::StatusOr<uint32_t> CountOfflineMessages(
      std::string_view user) = 0;

  virtual absl::StatusOr<std::vector<ArchivedMessage>> QueryArchive(
      std::string_view user, const ArchiveQuery& query) = 0;
  // Returns the id of the newest archived message, 0 if there is none.
  virtual absl::StatusOr<uint64_t> LatestArchiveId(std::string_view user) = 0;

  // Returns the last archive id the user has read with `contact`, 0 if none.
  virtual absl::StatusOr<uint64_t> GetReadMarker(std::string_view user,
                                                 std::string_view contact) = 0;
  // Derives, for every contact with incoming messages after its read
  // marker, how many there are; at most `contacts_max` contacts, ordered by
  // contact JID.
  virtual absl::StatusOr<std::vector<UnreadCount>> GetUnreadCounts(
      std::string_view user, uint32_t contacts_max) = 0;
};

// The writes of one shard. Lives as long as its shard, used only by that
// shard's thread. Reads through a writer also see its uncommitted writes (so
// a pipelined get after a set in the same turn is consistent); writes are
// invisible to everyone else until Commit().
class StorageWriter : public StorageReader {
 public:
  // AlreadyExists if the account exists.
  virtual absl::Status CreateAccount(std::string_view user) = 0;
  // Removes the account and every record of the user. NotFound if missing.
  virtual absl::Status DeleteAccount(std::string_view user) = 0;
  // Sets the user's credentials for one hash. NotFound if no account.
  virtual absl::Status SetScramCredentials(
      std::string_view user, ScramHash hash,
      const ScramCredentials& credentials) = 0;

  // Adds or replaces the item with item.jid; returns the new roster version.
  // ResourceExhausted when a new item would exceed roster_items_max.
  virtual absl::StatusOr<uint64_t> SetRosterItem(std::string_view user,
                                                 const RosterItem& item) = 0;
  // Returns the new roster version; NotFound if there is no such item.
  virtual absl::StatusOr<uint64_t> RemoveRosterItem(
      std::string_view user, std::string_view contact) = 0;

  // Queues a message (message.id is ignored) and returns its id.
  // ResourceExhausted when the user already has offline_messages_max
  // messages: the caller refuses the message (XEP-0160: service-unavailable).
  virtual absl::StatusOr<uint64_t> AppendOfflineMessage(
      std::string_view user, const OfflineMessage& message) = 0;
  // Deletes every offline message with id <= up_to_id.
  virtual absl::Status DeleteOfflineMessages(std::string_view user,
                                             uint64_t up_to_id) = 0;

  // Archives a message (message.id is ignored) and returns its id, one more
  // than the user's previous latest id.
  virtual absl::StatusOr<uint64_t> AppendArchivedMessage(
      std::string_view user, const ArchivedMessage& message) = 0;

  // Records that the user has read up to archive id `id` with `contact`.
  // A marker never moves back: a smaller id is ignored.
  virtual absl::Status SetReadMarker(std::string_view user,
                                     std::string_view contact,
                                     uint64_t id) = 0;

  // Writes every change made since the last Commit() as one atomic batch,
  // made durable as the engine's sync mode says; then acknowledges them. On
  // error nothing of the batch is applied and the batch is dropped: the
  // caller answers the affected requests with an error.
  virtual absl::Status Commit() = 0;
  // Drops every change made since the last Commit().
  virtual void Discard() = 0;
  // Returns the number of changes waiting for Commit().
  virtual size_t pending_writes() const = 0;
};

// How a writer's Commit() treats durability.
enum class CommitSync {
  // Commit() returns once the batch is durable under the engine's sync mode
  // (with --sync=always, after an fsync): for tools that run no shard.
  kEngineMode,
  // Commit() only applies the batch (visible to reads at once); durability
  // is the caller's, through Storage::SyncLog() on another thread. For
  // shards (storage/storage_service.h), which must never fsync.
  kDeferred,
};

// The process-wide store.
class Storage : public StorageReader {
 public:
  // Creates the writer of `shard`; call once per shard at start-up. The
  // writer must be destroyed before the Storage.
  virtual std::unique_ptr<StorageWriter> NewWriter(
      ShardId shard, CommitSync sync = CommitSync::kEngineMode) = 0;

  // Makes every batch committed so far durable (an fsync of the log).
  // Blocks for the length of the fsync: call from a storage thread, never
  // from a shard's. Thread-safe.
  virtual absl::Status SyncLog() = 0;
};

}  // namespace ringlet::storage
