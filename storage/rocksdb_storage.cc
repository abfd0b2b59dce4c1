#include "storage/rocksdb_storage.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "core/check.h"
#include "core/log.h"
#include "core/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "storage/internal/records.h"

namespace ringlet::storage {
namespace {

using internal::ContactIndexPrefix;
using internal::IdKeyPart;
using internal::Tag;
using internal::UserKey;
using internal::UserMeta;

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message =
      absl::StrFormat("%s: %s", std::string(what), status.ToString());
  if (status.IsNotFound()) return absl::NotFoundError(message);
  if (status.IsIOError()) return absl::UnavailableError(message);
  if (status.IsCorruption()) return absl::DataLossError(message);
  return absl::InternalError(message);
}

bool StartsWith(const rocksdb::Slice& key, std::string_view prefix) {
  return key.starts_with(rocksdb::Slice(prefix));
}

std::string_view View(const rocksdb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

// The read operations, written once over an abstract key-value view and
// instantiated twice: over the committed database (Storage) and over the
// database plus a shard's pending batch (StorageWriter).
template <typename Base>
class RocksDbReads : public Base {
 public:
  explicit RocksDbReads(const RocksDbStorageOptions& options)
      : options_(options) {}

  absl::StatusOr<bool> AccountExists(std::string_view user) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    std::string value;
    ASSIGN_OR_RETURN(bool found, Get(UserKey(user, Tag::kAccount), &value));
    return found;
  }

  absl::StatusOr<ScramCredentials> GetScramCredentials(
      std::string_view user, ScramHash hash) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    std::string value;
    const char hash_byte = static_cast<char>(hash);
    ASSIGN_OR_RETURN(
        bool found,
        Get(UserKey(user, Tag::kCredentials, std::string_view(&hash_byte, 1)),
            &value));
    if (!found) return absl::NotFoundError("no credentials for this user");
    ScramCredentials credentials;
    RETURN_IF_ERROR(internal::DecodeCredentials(value, &credentials));
    return credentials;
  }

  absl::StatusOr<UserPage> ListUsers(std::string_view domain,
                                     std::string_view after_local,
                                     uint32_t limit) override {
    RETURN_IF_ERROR(internal::ValidateJid(domain));
    if (limit == 0) return absl::InvalidArgumentError("limit must be > 0");
    limit = std::min(limit, options_.query_results_max);
    const std::string prefix = internal::DomainIndexPrefix(domain);
    std::string start = internal::DomainIndexKey(domain, after_local);
    if (!after_local.empty()) start.push_back('\0');  // strictly after
    UserPage page;
    std::string last_local;
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    for (it->Seek(start); it->Valid() && StartsWith(it->key(), prefix);
         it->Next()) {
      if (page.users.size() == limit) {
        page.next_cursor = last_local;  // there is more
        break;
      }
      last_local = std::string(View(it->key()).substr(prefix.size()));
      page.users.push_back(last_local + "@" + std::string(domain));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "listing users"));
    return page;
  }

  absl::StatusOr<Roster> GetRoster(std::string_view user) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    Roster roster;
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    roster.version = meta.roster_version;
    const std::string prefix = UserKey(user, Tag::kRoster);
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix);
         it->Next()) {
      RosterItem& item = roster.items.emplace_back();
      item.jid = std::string(View(it->key()).substr(prefix.size()));
      RETURN_IF_ERROR(internal::DecodeRosterItem(View(it->value()), &item));
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading roster"));
    return roster;
  }

  absl::StatusOr<std::vector<OfflineMessage>> FetchOfflineMessages(
      std::string_view user, uint64_t after_id, size_t bytes_max) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    std::vector<OfflineMessage> messages;
    const std::string prefix = UserKey(user, Tag::kOffline);
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    size_t bytes = 0;
    for (it->Seek(prefix + internal::IdKeyPart(after_id + 1));
         it->Valid() && StartsWith(it->key(), prefix) && bytes < bytes_max; it->Next()) {
      OfflineMessage& message = messages.emplace_back();
      message.id = internal::ParseIdKeyPart(View(it->key()).substr(prefix.size()));
      RETURN_IF_ERROR(
          internal::DecodeOfflineMessage(View(it->value()), &message));
      bytes += message.stanza.size();
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading offline messages"));
    return messages;
  }

  absl::StatusOr<uint32_t> CountOfflineMessages(
      std::string_view user) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    return meta.offline_messages;
  }

  absl::StatusOr<std::vector<ArchivedMessage>> QueryArchive(
      std::string_view user, const ArchiveQuery& query) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    const bool by_contact = !query.with.empty();
    if (by_contact) RETURN_IF_ERROR(internal::ValidateJid(query.with));
    const std::string prefix = by_contact
                                   ? ContactIndexPrefix(user, query.with)
                                   : UserKey(user, Tag::kArchive);
    const uint64_t before_id = query.before_id == 0
                                   ? std::numeric_limits<uint64_t>::max()
                                   : query.before_id;
    const uint32_t limit = std::min(query.limit, options_.query_results_max);
    std::vector<uint64_t> ids;
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    const auto id_in_range = [&]() -> std::optional<uint64_t> {
      if (!it->Valid() || !StartsWith(it->key(), prefix)) return std::nullopt;
      const uint64_t id =
          internal::ParseIdKeyPart(View(it->key()).substr(prefix.size()));
      if (id <= query.after_id || id >= before_id) return std::nullopt;
      return id;
    };
    if (query.from_end) {
      it->SeekForPrev(prefix + IdKeyPart(before_id));
      if (it->Valid() && View(it->key()) == prefix + IdKeyPart(before_id)) {
        it->Prev();
      }
      for (; ids.size() < limit; it->Prev()) {
        const std::optional<uint64_t> id = id_in_range();
        if (!id) break;
        ids.push_back(*id);
      }
      std::reverse(ids.begin(), ids.end());
    } else {
      it->Seek(prefix + IdKeyPart(query.after_id + 1));
      for (; ids.size() < limit; it->Next()) {
        const std::optional<uint64_t> id = id_in_range();
        if (!id) break;
        ids.push_back(*id);
      }
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "querying the archive"));
    std::vector<ArchivedMessage> messages(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      std::string value;
      ASSIGN_OR_RETURN(bool found,
                       Get(UserKey(user, Tag::kArchive, IdKeyPart(ids[i])),
                           &value));
      if (!found) return absl::DataLossError("archive index without message");
      messages[i].id = ids[i];
      RETURN_IF_ERROR(internal::DecodeArchivedMessage(value, &messages[i]));
    }
    return messages;
  }

  absl::StatusOr<uint64_t> LatestArchiveId(std::string_view user) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    return meta.archive_last_id;
  }

  absl::StatusOr<uint64_t> GetReadMarker(std::string_view user,
                                         std::string_view contact) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    RETURN_IF_ERROR(internal::ValidateJid(contact));
    std::string value;
    ASSIGN_OR_RETURN(bool found,
                     Get(UserKey(user, Tag::kReadMarker, contact), &value));
    uint64_t id = 0;
    if (found) RETURN_IF_ERROR(internal::DecodeU64(value, &id));
    return id;
  }

  absl::StatusOr<std::vector<UnreadCount>> GetUnreadCounts(
      std::string_view user, uint32_t contacts_max) override {
    RETURN_IF_ERROR(internal::ValidateJid(user));
    std::vector<UnreadCount> counts;
    const std::string index = UserKey(user, Tag::kArchiveByContact);
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    it->Seek(index);
    // One pass per contact: find the contact, jump to its read marker, count
    // incoming messages after it, then jump past the contact.
    while (counts.size() < contacts_max && it->Valid() &&
           StartsWith(it->key(), index)) {
      const std::string_view rest = View(it->key()).substr(index.size());
      const std::string contact(rest.substr(0, rest.find('\0')));
      ASSIGN_OR_RETURN(uint64_t marker, GetReadMarker(user, contact));
      const std::string prefix = ContactIndexPrefix(user, contact);
      UnreadCount unread{contact, 0, 0};
      for (it->Seek(prefix + IdKeyPart(marker + 1));
           it->Valid() && StartsWith(it->key(), prefix) &&
           unread.count < options_.unread_count_max;
           it->Next()) {
        uint64_t outgoing = 0;
        RETURN_IF_ERROR(internal::DecodeU64(View(it->value()), &outgoing));
        if (outgoing) continue;
        ++unread.count;
        unread.last_id =
            internal::ParseIdKeyPart(View(it->key()).substr(prefix.size()));
      }
      if (unread.count > 0) counts.push_back(std::move(unread));
      std::string next_contact = prefix;
      next_contact.back() = '\x01';  // just past every "<contact>\0..." key
      it->Seek(next_contact);
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "counting unread messages"));
    return counts;
  }

 protected:
  // Point read: true and `value` if found, false if not.
  virtual absl::StatusOr<bool> Get(const std::string& key,
                                   std::string* value) = 0;
  virtual std::unique_ptr<rocksdb::Iterator> NewIterator() = 0;

  absl::StatusOr<UserMeta> LoadMeta(std::string_view user) {
    UserMeta meta;
    std::string value;
    ASSIGN_OR_RETURN(bool found, Get(UserKey(user, Tag::kMeta), &value));
    if (found) RETURN_IF_ERROR(internal::DecodeMeta(value, &meta));
    return meta;
  }

  const RocksDbStorageOptions options_;
};

absl::StatusOr<bool> FoundOrNot(const rocksdb::Status& status) {
  if (status.IsNotFound()) return false;
  RETURN_IF_ERROR(FromRocks(status, "reading a record"));
  return true;
}

class RocksDbWriter final : public RocksDbReads<StorageWriter> {
 public:
  RocksDbWriter(const RocksDbStorageOptions& options, rocksdb::DB* db,
                ShardId shard, CommitSync sync)
      : RocksDbReads(options),
        db_(db),
        shard_(shard),
        batch_(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true) {
    write_options_.sync =
        options.sync == SyncMode::kAlways && sync == CommitSync::kEngineMode;
  }

  absl::Status CreateAccount(std::string_view user) override {
    CheckOwner();
    RETURN_IF_ERROR(internal::ValidateAccountJid(user));
    ASSIGN_OR_RETURN(bool exists, AccountExists(user));
    if (exists) return absl::AlreadyExistsError("account exists");
    const size_t at = user.find('@');
    RETURN_IF_ERROR(Put(UserKey(user, Tag::kAccount), internal::EncodeU64(0)));
    return Put(internal::DomainIndexKey(user.substr(at + 1), user.substr(0, at)),
               "");
  }

  absl::Status DeleteAccount(std::string_view user) override {
    CheckOwner();
    RETURN_IF_ERROR(internal::ValidateAccountJid(user));
    ASSIGN_OR_RETURN(bool exists, AccountExists(user));
    if (!exists) return absl::NotFoundError("no such account");
    // One delete per record: WriteBatchWithIndex has no DeleteRange.
    const std::string prefix = internal::UserPrefix(user);
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix);
         it->Next()) {
      keys.push_back(it->key().ToString());
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "listing the account's records"));
    const size_t at = user.find('@');
    keys.push_back(
        internal::DomainIndexKey(user.substr(at + 1), user.substr(0, at)));
    for (const std::string& key : keys) {
      RETURN_IF_ERROR(FromRocks(batch_.Delete(key), "deleting"));
    }
    return absl::OkStatus();
  }

  absl::Status SetScramCredentials(
      std::string_view user, ScramHash hash,
      const ScramCredentials& credentials) override {
    CheckOwner();
    ASSIGN_OR_RETURN(bool exists, AccountExists(user));
    if (!exists) return absl::NotFoundError("no such account");
    const char hash_byte = static_cast<char>(hash);
    return Put(UserKey(user, Tag::kCredentials, std::string_view(&hash_byte, 1)),
               internal::EncodeCredentials(credentials));
  }

  absl::StatusOr<uint64_t> SetRosterItem(std::string_view user,
                                         const RosterItem& item) override {
    CheckOwner();
    RETURN_IF_ERROR(internal::ValidateJid(user));
    RETURN_IF_ERROR(internal::ValidateJid(item.jid));
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    const std::string key = UserKey(user, Tag::kRoster, item.jid);
    std::string value;
    ASSIGN_OR_RETURN(bool exists, Get(key, &value));
    if (!exists) {
      if (meta.roster_items >= options_.roster_items_max) {
        return absl::ResourceExhaustedError("roster is full");
      }
      ++meta.roster_items;
    }
    ++meta.roster_version;
    RETURN_IF_ERROR(Put(key, internal::EncodeRosterItem(item)));
    RETURN_IF_ERROR(StoreMeta(user, meta));
    return meta.roster_version;
  }

  absl::StatusOr<uint64_t> RemoveRosterItem(
      std::string_view user, std::string_view contact) override {
    CheckOwner();
    RETURN_IF_ERROR(internal::ValidateJid(user));
    RETURN_IF_ERROR(internal::ValidateJid(contact));
    const std::string key = UserKey(user, Tag::kRoster, contact);
    std::string value;
    ASSIGN_OR_RETURN(bool exists, Get(key, &value));
    if (!exists) return absl::NotFoundError("no such roster item");
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    --meta.roster_items;
    ++meta.roster_version;
    RETURN_IF_ERROR(FromRocks(batch_.Delete(key), "deleting roster item"));
    RETURN_IF_ERROR(StoreMeta(user, meta));
    return meta.roster_version;
  }

  absl::StatusOr<uint64_t> AppendOfflineMessage(
      std::string_view user, const OfflineMessage& message) override {
    CheckOwner();
    RETURN_IF_ERROR(internal::ValidateJid(user));
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    if (meta.offline_messages >= options_.offline_messages_max) {
      return absl::ResourceExhaustedError("offline queue is full");
    }
    ++meta.offline_messages;
    const uint64_t id = ++meta.offline_last_id;
    RETURN_IF_ERROR(Put(UserKey(user, Tag::kOffline, IdKeyPart(id)),
                        internal::EncodeOfflineMessage(message)));
    RETURN_IF_ERROR(StoreMeta(user, meta));
    return id;
  }

  absl::Status DeleteOfflineMessages(std::string_view user,
                                     uint64_t up_to_id) override {
    CheckOwner();
    RETURN_IF_ERROR(internal::ValidateJid(user));
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    const std::string prefix = UserKey(user, Tag::kOffline);
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it = NewIterator();
    for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix) &&
                           internal::ParseIdKeyPart(View(it->key()).substr(
                               prefix.size())) <= up_to_id;
         it->Next()) {
      keys.push_back(it->key().ToString());
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "listing offline messages"));
    if (keys.empty()) return absl::OkStatus();
    for (const std::string& key : keys) {
      RETURN_IF_ERROR(FromRocks(batch_.Delete(key), "deleting"));
    }
    meta.offline_messages -= std::min<uint32_t>(meta.offline_messages,
                                                keys.size());
    return StoreMeta(user, meta);
  }

  absl::StatusOr<uint64_t> AppendArchivedMessage(
      std::string_view user, const ArchivedMessage& message) override {
    CheckOwner();
    RETURN_IF_ERROR(internal::ValidateJid(user));
    RETURN_IF_ERROR(internal::ValidateJid(message.with));
    ASSIGN_OR_RETURN(UserMeta meta, LoadMeta(user));
    const uint64_t id = ++meta.archive_last_id;
    RETURN_IF_ERROR(Put(UserKey(user, Tag::kArchive, IdKeyPart(id)),
                        internal::EncodeArchivedMessage(message)));
    RETURN_IF_ERROR(Put(ContactIndexPrefix(user, message.with) + IdKeyPart(id),
                        internal::EncodeU64(message.outgoing ? 1 : 0)));
    RETURN_IF_ERROR(StoreMeta(user, meta));
    return id;
  }

  absl::Status SetReadMarker(std::string_view user, std::string_view contact,
                             uint64_t id) override {
    CheckOwner();
    ASSIGN_OR_RETURN(uint64_t current, GetReadMarker(user, contact));
    if (id <= current) return absl::OkStatus();
    return Put(UserKey(user, Tag::kReadMarker, contact),
               internal::EncodeU64(id));
  }

  absl::Status Commit() override {
    CheckOwner();
    if (pending_writes() == 0) return absl::OkStatus();
    const rocksdb::Status status = db_->Write(write_options_,
                                              batch_.GetWriteBatch());
    batch_.Clear();
    if (!status.ok()) {
      LOG_ERROR("storage: commit of shard %d failed: %s", shard_.value(),
                status.ToString());
    }
    return FromRocks(status, "committing a batch");
  }

  void Discard() override {
    CheckOwner();
    batch_.Clear();
  }

  size_t pending_writes() const override {
    return const_cast<rocksdb::WriteBatchWithIndex&>(batch_)
        .GetWriteBatch()
        ->Count();
  }

 protected:
  absl::StatusOr<bool> Get(const std::string& key,
                           std::string* value) override {
    return FoundOrNot(
        batch_.GetFromBatchAndDB(db_, rocksdb::ReadOptions(), key, value));
  }

  std::unique_ptr<rocksdb::Iterator> NewIterator() override {
    return std::unique_ptr<rocksdb::Iterator>(batch_.NewIteratorWithBase(
        db_->NewIterator(rocksdb::ReadOptions())));
  }

 private:
  absl::Status Put(const std::string& key, std::string_view value) {
    return FromRocks(batch_.Put(key, value), "writing");
  }

  absl::Status StoreMeta(std::string_view user, const UserMeta& meta) {
    return Put(UserKey(user, Tag::kMeta), internal::EncodeMeta(meta));
  }

  // A writer belongs to one shard thread (the first one that uses it).
  void CheckOwner() {
#ifndef NDEBUG
    if (owner_ == std::thread::id()) owner_ = std::this_thread::get_id();
    DCHECK(owner_ == std::this_thread::get_id());
#endif
  }

  rocksdb::DB* const db_;
  const ShardId shard_;
  rocksdb::WriteBatchWithIndex batch_;
  rocksdb::WriteOptions write_options_;
  std::thread::id owner_;
};

class RocksDbStorage final : public RocksDbReads<Storage> {
 public:
  RocksDbStorage(const RocksDbStorageOptions& options,
                 std::unique_ptr<rocksdb::DB> db)
      : RocksDbReads(options), db_(std::move(db)) {
    if (options.sync == SyncMode::kBatch) {
      syncer_ = std::thread([this] { SyncLoop(); });
    }
  }

  ~RocksDbStorage() override {
    if (syncer_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
      }
      wake_.notify_one();
      syncer_.join();
    }
    // Makes a batch-mode tail durable on a clean shutdown.
    const rocksdb::Status status = db_->SyncWAL();
    if (!status.ok()) {
      LOG_WARNING("storage: final WAL sync failed: %s", status.ToString());
    }
    CHECK_OK(FromRocks(db_->Close(), "closing the database"));
  }

  std::unique_ptr<StorageWriter> NewWriter(ShardId shard,
                                           CommitSync sync) override {
    return std::make_unique<RocksDbWriter>(options_, db_.get(), shard, sync);
  }

  absl::Status SyncLog() override {
    // A write applied without sync is in the WAL file already (RocksDB's
    // default, manual_wal_flush off): syncing the WAL makes it durable.
    return FromRocks(db_->SyncWAL(), "syncing the write-ahead log");
  }

 protected:
  absl::StatusOr<bool> Get(const std::string& key,
                           std::string* value) override {
    return FoundOrNot(db_->Get(rocksdb::ReadOptions(), key, value));
  }

  std::unique_ptr<rocksdb::Iterator> NewIterator() override {
    return std::unique_ptr<rocksdb::Iterator>(
        db_->NewIterator(rocksdb::ReadOptions()));
  }

 private:
  // kBatch: fsyncs the WAL every sync_interval_ms. Runs on its own thread
  // because no shard may block on an fsync it did not ask for.
  void SyncLoop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock,
                     std::chrono::milliseconds(options_.sync_interval_ms));
      if (stopping_) break;
      lock.unlock();
      const rocksdb::Status status = db_->SyncWAL();
      if (!status.ok()) {
        LOG_ERROR("storage: WAL sync failed: %s", status.ToString());
      }
      lock.lock();
    }
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::thread syncer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
};

}  // namespace

bool ParseSyncMode(std::string_view text, SyncMode* mode) {
  if (text == "always") {
    *mode = SyncMode::kAlways;
  } else if (text == "batch") {
    *mode = SyncMode::kBatch;
  } else if (text == "none") {
    *mode = SyncMode::kNone;
  } else {
    return false;
  }
  return true;
}

const char* SyncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kAlways: return "always";
    case SyncMode::kBatch: return "batch";
    case SyncMode::kNone: return "none";
  }
  return "always";
}

absl::Status RocksDbStorageOptions::Validate() const {
  if (data_dir.empty()) {
    return absl::InvalidArgumentError("storage: data_dir must be set");
  }
  if (sync == SyncMode::kBatch &&
      (sync_interval_ms == 0 || sync_interval_ms > 10'000)) {
    return absl::InvalidArgumentError(
        "storage: sync_interval_ms must be in [1, 10000] with sync=batch");
  }
  const struct {
    const char* name;
    uint32_t value;
  } limits[] = {{"offline_messages_max", offline_messages_max},
                {"roster_items_max", roster_items_max},
                {"query_results_max", query_results_max},
                {"unread_count_max", unread_count_max}};
  for (const auto& limit : limits) {
    if (limit.value == 0 || limit.value > 1'000'000) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "storage: %s must be in [1, 1000000], not %d", limit.name,
          limit.value));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Storage>> OpenRocksDbStorage(
    const RocksDbStorageOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(2);
  rocksdb::DB* raw_db = nullptr;
  const rocksdb::Status status =
      rocksdb::DB::Open(db_options, options.data_dir, &raw_db);
  if (!status.ok()) {
    if (status.IsIOError() &&
        status.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "storage: data dir %s is in use by another ringlet process (its "
          "RocksDB LOCK file is held): %s",
          options.data_dir, status.ToString()));
    }
    return FromRocks(status, "opening data dir " + options.data_dir);
  }
  std::unique_ptr<rocksdb::DB> db(raw_db);
  std::string format;
  const rocksdb::Status format_status = db->Get(
      rocksdb::ReadOptions(), internal::kDatabaseFormatKey, &format);
  if (format_status.IsNotFound()) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    RETURN_IF_ERROR(FromRocks(
        db->Put(write_options, internal::kDatabaseFormatKey,
                internal::EncodeU64(1)),
        "writing the database format"));
  } else {
    RETURN_IF_ERROR(FromRocks(format_status, "reading the database format"));
    uint64_t version = 0;
    RETURN_IF_ERROR(internal::DecodeU64(format, &version));
    if (version != 1) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "storage: data dir %s has layout version %d; this build reads 1",
          options.data_dir, version));
    }
  }
  LOG_INFO("storage: opened %s (sync=%s)", options.data_dir,
           SyncModeName(options.sync));
  return std::unique_ptr<Storage>(
      std::make_unique<RocksDbStorage>(options, std::move(db)));
}

}  // namespace ringlet::storage
