#include "storage/rocksdb_storage.h"

#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"
#include "storage/internal/records.h"
#include "storage/storage_flags.h"

// Tests run on the test's main thread, which plays one shard.

namespace ringlet::storage {
namespace {

std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  return std::string(root ? root : "/tmp") + "/" + name;
}

ScramCredentials Credentials(char fill, size_t key_bytes) {
  return {std::string(16, fill), 4096, std::string(key_bytes, fill),
          std::string(key_bytes, fill + 1)};
}

class StorageTest : public testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = TempDir(
        testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.sync = SyncMode::kNone;
    options_.offline_messages_max = 3;
    options_.roster_items_max = 3;
    Open();
  }
  void Open() {
    absl::StatusOr<std::unique_ptr<Storage>> storage =
        OpenRocksDbStorage(options_);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
    writer_ = storage_->NewWriter(ShardId(0));
  }
  void Close() {
    writer_.reset();
    storage_.reset();
  }
  void Reopen() {
    Close();
    Open();
  }
  void CreateUser(const std::string& user) {
    ASSERT_TRUE(writer_->CreateAccount(user).ok());
    ASSERT_TRUE(writer_->Commit().ok());
  }

  RocksDbStorageOptions options_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StorageWriter> writer_;
};

TEST_F(StorageTest, Accounts) {
  EXPECT_EQ(writer_->CreateAccount("juliet").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer_->CreateAccount("a\nb@x").code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(writer_->CreateAccount("juliet@example.com").ok());
  EXPECT_EQ(writer_->CreateAccount("juliet@example.com").code(),
            absl::StatusCode::kAlreadyExists);
  // Pending writes are visible through the writer only.
  EXPECT_TRUE(*writer_->AccountExists("juliet@example.com"));
  EXPECT_FALSE(*storage_->AccountExists("juliet@example.com"));
  EXPECT_GT(writer_->pending_writes(), 0u);
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_EQ(writer_->pending_writes(), 0u);
  EXPECT_TRUE(*storage_->AccountExists("juliet@example.com"));

  EXPECT_EQ(storage_->GetScramCredentials("juliet@example.com",
                                          ScramHash::kSha1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(writer_->SetScramCredentials("romeo@example.com", ScramHash::kSha1,
                                         Credentials('a', 20)).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(writer_->SetScramCredentials("juliet@example.com",
                                           ScramHash::kSha1,
                                           Credentials('a', 20)).ok());
  ASSERT_TRUE(writer_->SetScramCredentials("juliet@example.com",
                                           ScramHash::kSha256,
                                           Credentials('c', 32)).ok());
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_EQ(*storage_->GetScramCredentials("juliet@example.com",
                                           ScramHash::kSha1),
            Credentials('a', 20));
  EXPECT_EQ(*storage_->GetScramCredentials("juliet@example.com",
                                           ScramHash::kSha256),
            Credentials('c', 32));

  ASSERT_TRUE(writer_->AppendOfflineMessage("juliet@example.com", {0, 1, "m"})
                  .ok());
  ASSERT_TRUE(writer_->DeleteAccount("juliet@example.com").ok());
  EXPECT_EQ(writer_->DeleteAccount("juliet@example.com").code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_FALSE(*storage_->AccountExists("juliet@example.com"));
  EXPECT_EQ(*storage_->CountOfflineMessages("juliet@example.com"), 0u);
  EXPECT_TRUE(storage_->ListUsers("example.com", "", 10)->users.empty());
}

TEST_F(StorageTest, ListUsersPages) {
  for (const char* user : {"d@a.org", "b@a.org", "c@b.org", "a@a.org",
                           "c@a.org"}) {
    ASSERT_TRUE(writer_->CreateAccount(user).ok());
  }
  ASSERT_TRUE(writer_->Commit().ok());
  UserPage page = *storage_->ListUsers("a.org", "", 3);
  EXPECT_EQ(page.users,
            (std::vector<std::string>{"a@a.org", "b@a.org", "c@a.org"}));
  EXPECT_EQ(page.next_cursor, "c");
  page = *storage_->ListUsers("a.org", page.next_cursor, 3);
  EXPECT_EQ(page.users, (std::vector<std::string>{"d@a.org"}));
  EXPECT_EQ(page.next_cursor, "");
  EXPECT_EQ(storage_->ListUsers("a.org", "", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(StorageTest, RosterWithVersions) {
  const std::string user = "juliet@example.com";
  EXPECT_EQ(storage_->GetRoster(user)->version, 0u);
  RosterItem romeo{"romeo@example.net", "Romeo", Subscription::kBoth, false,
                   false, {"Friends", "Lovers"}};
  RosterItem nurse{"nurse@example.com", "", Subscription::kNone, true, true,
                   {}};
  EXPECT_EQ(*writer_->SetRosterItem(user, romeo), 1u);
  EXPECT_EQ(*writer_->SetRosterItem(user, nurse), 2u);
  romeo.subscription = Subscription::kTo;
  EXPECT_EQ(*writer_->SetRosterItem(user, romeo), 3u);  // replaces
  ASSERT_TRUE(writer_->Commit().ok());
  Roster roster = *storage_->GetRoster(user);
  EXPECT_EQ(roster.version, 3u);
  EXPECT_EQ(roster.items, (std::vector<RosterItem>{nurse, romeo}));

  EXPECT_EQ(*writer_->RemoveRosterItem(user, "nurse@example.com"), 4u);
  EXPECT_EQ(writer_->RemoveRosterItem(user, "nurse@example.com").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(writer_->Commit().ok());
  roster = *storage_->GetRoster(user);
  EXPECT_EQ(roster.version, 4u);
  EXPECT_EQ(roster.items, (std::vector<RosterItem>{romeo}));

  // roster_items_max = 3: a fourth new item is refused, replacing is not.
  ASSERT_TRUE(writer_->SetRosterItem(user, {"a@x"}).ok());
  ASSERT_TRUE(writer_->SetRosterItem(user, {"b@x"}).ok());
  EXPECT_EQ(writer_->SetRosterItem(user, {"c@x"}).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(writer_->SetRosterItem(user, {"a@x", "A"}).ok());
}

// Pages: after an id, and stopping once bytes_max is reached (at least one
// message per page).
TEST_F(StorageTest, OfflineQueuePages) {
  const std::string user = "romeo@example.com";
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(writer_->AppendOfflineMessage(user, {0, i, std::string(100, 'a' + i)}).ok());
  }
  // Reads through the writer see its uncommitted writes.
  EXPECT_EQ(writer_->FetchOfflineMessages(user, 0, 150)->size(), 2u);
  ASSERT_TRUE(writer_->Commit().ok());
  auto page = *storage_->FetchOfflineMessages(user, 0, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, 1u);
  page = *storage_->FetchOfflineMessages(user, 1, 200);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, 2u);
  EXPECT_EQ(page[1].id, 3u);
  EXPECT_TRUE(storage_->FetchOfflineMessages(user, 3, 200)->empty());
}

TEST_F(StorageTest, OfflineQueue) {
  const std::string user = "juliet@example.com";
  EXPECT_EQ(*writer_->AppendOfflineMessage(user, {0, 100, "<message/>1"}), 1u);
  EXPECT_EQ(*writer_->AppendOfflineMessage(user, {0, 101, "<message/>2"}), 2u);
  EXPECT_EQ(*writer_->CountOfflineMessages(user), 2u);
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_EQ(*writer_->AppendOfflineMessage(user, {0, 102, "<message/>3"}), 3u);
  EXPECT_EQ(writer_->AppendOfflineMessage(user, {0, 103, "x"}).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(writer_->Commit().ok());
  std::vector<OfflineMessage> messages = *storage_->FetchOfflineMessages(user);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].id, 1u);
  EXPECT_EQ(messages[0].stored_at_ms, 100);
  EXPECT_EQ(messages[2].stanza, "<message/>3");

  ASSERT_TRUE(writer_->DeleteOfflineMessages(user, 2).ok());
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_EQ(*storage_->CountOfflineMessages(user), 1u);
  messages = *storage_->FetchOfflineMessages(user);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].id, 3u);
  EXPECT_TRUE(storage_->FetchOfflineMessages(user, 3)->empty());
  // Ids keep growing after deletes.
  EXPECT_EQ(*writer_->AppendOfflineMessage(user, {0, 104, "4"}), 4u);
  ASSERT_TRUE(writer_->DeleteOfflineMessages(user, 100).ok());
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_EQ(*storage_->CountOfflineMessages(user), 0u);
}

std::vector<uint64_t> Ids(const std::vector<ArchivedMessage>& messages) {
  std::vector<uint64_t> ids;
  for (const ArchivedMessage& message : messages) ids.push_back(message.id);
  return ids;
}

TEST_F(StorageTest, ArchiveAndUnreads) {
  const std::string user = "juliet@example.com";
  EXPECT_EQ(*storage_->LatestArchiveId(user), 0u);
  // Ids 1..9: romeo (incoming) at 1,4,7, nurse at 2,5,8 (5 outgoing),
  // tybalt at 3,6,9.
  const char* contacts[] = {"romeo@x", "nurse@x", "tybalt@x"};
  for (uint64_t i = 1; i <= 9; ++i) {
    ArchivedMessage message{0, static_cast<int64_t>(1000 + i),
                            contacts[(i - 1) % 3], i == 5,
                            "<message>" + std::to_string(i) + "</message>"};
    EXPECT_EQ(*writer_->AppendArchivedMessage(user, message), i);
  }
  EXPECT_EQ(*writer_->LatestArchiveId(user), 9u);
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_EQ(*storage_->LatestArchiveId(user), 9u);

  std::vector<ArchivedMessage> all = *storage_->QueryArchive(user, {});
  ASSERT_EQ(all.size(), 9u);
  EXPECT_EQ(all[4], (ArchivedMessage{5, 1005, "nurse@x", true,
                                     "<message>5</message>"}));
  EXPECT_EQ(Ids(*storage_->QueryArchive(user, {.after_id = 3, .limit = 2})),
            (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(Ids(*storage_->QueryArchive(
                user, {.after_id = 2, .before_id = 8, .limit = 2,
                       .from_end = true})),
            (std::vector<uint64_t>{6, 7}));
  EXPECT_EQ(Ids(*storage_->QueryArchive(user, {.limit = 3, .from_end = true})),
            (std::vector<uint64_t>{7, 8, 9}));
  EXPECT_EQ(Ids(*storage_->QueryArchive(user, {.with = "romeo@x"})),
            (std::vector<uint64_t>{1, 4, 7}));
  EXPECT_EQ(Ids(*storage_->QueryArchive(
                user, {.before_id = 8, .with = "nurse@x", .limit = 1,
                       .from_end = true})),
            (std::vector<uint64_t>{5}));
  EXPECT_TRUE(storage_->QueryArchive(user, {.after_id = 9})->empty());

  EXPECT_EQ(*storage_->GetReadMarker(user, "romeo@x"), 0u);
  ASSERT_TRUE(writer_->SetReadMarker(user, "romeo@x", 4).ok());
  ASSERT_TRUE(writer_->SetReadMarker(user, "nurse@x", 8).ok());
  ASSERT_TRUE(writer_->SetReadMarker(user, "nurse@x", 2).ok());  // ignored
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_EQ(*storage_->GetReadMarker(user, "romeo@x"), 4u);
  EXPECT_EQ(*storage_->GetReadMarker(user, "nurse@x"), 8u);
  EXPECT_EQ(*storage_->GetUnreadCounts(user, 10),
            (std::vector<UnreadCount>{{"romeo@x", 1, 7}, {"tybalt@x", 3, 9}}));
  EXPECT_EQ(storage_->GetUnreadCounts(user, 1)->size(), 1u);
  // An outgoing message does not count as unread.
  ASSERT_TRUE(writer_->AppendArchivedMessage(user, {0, 2000, "nurse@x", true,
                                                    "out"}).ok());
  EXPECT_EQ(writer_->GetUnreadCounts(user, 10)->size(), 2u);
}

TEST_F(StorageTest, DiscardDropsPendingWrites) {
  ASSERT_TRUE(writer_->CreateAccount("a@b").ok());
  writer_->Discard();
  EXPECT_EQ(writer_->pending_writes(), 0u);
  ASSERT_TRUE(writer_->Commit().ok());
  EXPECT_FALSE(*storage_->AccountExists("a@b"));
}

TEST_F(StorageTest, ReopenKeepsEverything) {
  const std::string user = "juliet@example.com";
  CreateUser(user);
  ASSERT_TRUE(writer_->SetScramCredentials(user, ScramHash::kSha256,
                                           Credentials('k', 32)).ok());
  ASSERT_TRUE(writer_->SetRosterItem(user, {"romeo@x", "R"}).ok());
  ASSERT_TRUE(writer_->AppendOfflineMessage(user, {0, 5, "o"}).ok());
  ASSERT_TRUE(writer_->AppendArchivedMessage(user, {0, 6, "romeo@x", false,
                                                    "a"}).ok());
  ASSERT_TRUE(writer_->SetReadMarker(user, "romeo@x", 1).ok());
  ASSERT_TRUE(writer_->Commit().ok());
  Reopen();
  EXPECT_TRUE(*storage_->AccountExists(user));
  EXPECT_EQ(*storage_->GetScramCredentials(user, ScramHash::kSha256),
            Credentials('k', 32));
  EXPECT_EQ(storage_->GetRoster(user)->version, 1u);
  EXPECT_EQ(storage_->FetchOfflineMessages(user)->size(), 1u);
  EXPECT_EQ(*storage_->LatestArchiveId(user), 1u);
  EXPECT_EQ(*storage_->GetReadMarker(user, "romeo@x"), 1u);
  // Ids continue after a restart.
  EXPECT_EQ(*writer_->AppendArchivedMessage(user, {0, 7, "romeo@x", false,
                                                   "b"}), 2u);
}

TEST_F(StorageTest, SecondOpenOfTheSameDirFailsClearly) {
  absl::StatusOr<std::unique_ptr<Storage>> second =
      OpenRocksDbStorage(options_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status();
}

TEST_F(StorageTest, BatchModeSyncsInTheBackground) {
  Close();
  options_.sync = SyncMode::kBatch;
  options_.sync_interval_ms = 1;
  Open();
  CreateUser("a@b");
  Reopen();
  EXPECT_TRUE(*storage_->AccountExists("a@b"));
}

TEST(StorageOptions, Validate) {
  RocksDbStorageOptions options;
  EXPECT_FALSE(options.Validate().ok());  // no data_dir
  options.data_dir = "/x";
  EXPECT_TRUE(options.Validate().ok());
  options.offline_messages_max = 0;
  EXPECT_FALSE(options.Validate().ok());
  options.offline_messages_max = 10;
  options.sync = SyncMode::kBatch;
  options.sync_interval_ms = 0;
  EXPECT_FALSE(options.Validate().ok());
}

TEST(StorageFlags, BuildOptions) {
  absl::SetFlag(&FLAGS_data_dir, "/var/lib/ringlet");
  absl::SetFlag(&FLAGS_sync, "batch");
  absl::StatusOr<RocksDbStorageOptions> options =
      RocksDbStorageOptionsFromFlags();
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sync, SyncMode::kBatch);
  EXPECT_EQ(options->data_dir, "/var/lib/ringlet");
  absl::SetFlag(&FLAGS_sync, "sometimes");
  EXPECT_FALSE(RocksDbStorageOptionsFromFlags().ok());
}

}  // namespace
}  // namespace ringlet::storage

namespace ringlet::storage::internal {
namespace {

TEST(Records, RefuseUnknownFormatsAndTruncation) {
  const UserMeta meta{7, 2, 9, 1, 42};
  std::string value = EncodeMeta(meta);
  UserMeta decoded;
  ASSERT_TRUE(DecodeMeta(value, &decoded).ok());
  EXPECT_EQ(decoded.archive_last_id, 42u);
  EXPECT_EQ(DecodeMeta(value.substr(0, value.size() - 1), &decoded).code(),
            absl::StatusCode::kDataLoss);
  value[0] = 2;  // a format this build does not know
  EXPECT_EQ(DecodeMeta(value, &decoded).code(), absl::StatusCode::kDataLoss);

  RosterItem item{"", "N", Subscription::kFrom, true, false, {"a", "b"}};
  RosterItem item_decoded;
  ASSERT_TRUE(DecodeRosterItem(EncodeRosterItem(item), &item_decoded).ok());
  EXPECT_EQ(item_decoded, item);
  std::string bad = EncodeRosterItem(item);
  bad[6] = 9;  // subscription (after format, length, "N") out of range
  EXPECT_FALSE(DecodeRosterItem(bad, &item_decoded).ok());
  EXPECT_LT(IdKeyPart(255), IdKeyPart(256));
  EXPECT_EQ(ParseIdKeyPart(IdKeyPart(0x0102030405060708)), 0x0102030405060708u);
}

}  // namespace
}  // namespace ringlet::storage::internal
