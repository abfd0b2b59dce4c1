#include "xmpp/admin/account_command.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "storage/rocksdb_storage.h"

namespace ringlet::admin {
namespace {

TEST(ParseAdminRequestTest, ParsesEveryCommand) {
  auto add = ParseAdminRequest("user add Alice@Example.ORG  pass word \r");
  ASSERT_TRUE(add.ok()) << add.status();
  EXPECT_EQ(add->verb, AdminVerb::kUserAdd);
  EXPECT_EQ(add->jid, "alice@example.org");
  EXPECT_EQ(add->password, "pass word ");  // the rest of the line

  auto del = ParseAdminRequest("user del bob@example.org");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->verb, AdminVerb::kUserDel);

  auto list = ParseAdminRequest("user list Example.org 25");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->domain, "example.org");
  EXPECT_EQ(list->limit, 25u);

  auto range = ParseAdminRequest("user add-range --same-salt bench%d@example.org 1 100 pw");
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_TRUE(range->same_salt);
  EXPECT_EQ(range->first, 1u);
  EXPECT_EQ(range->last, 100u);
  EXPECT_EQ(ExpandPattern(range->pattern, 42), "bench42@example.org");

  EXPECT_EQ(ParseAdminRequest("stats")->verb, AdminVerb::kStats);
  EXPECT_EQ(ParseAdminRequest("stats prometheus")->verb, AdminVerb::kStatsPrometheus);
}

TEST(ParseAdminRequestTest, RefusesBadRequests) {
  for (const char* line : {"", "frobnicate", "user", "user add", "user add a@b",
                           "user add a@b/res pw", "user add example.org pw", "user del",
                           "user del a@b c", "user list", "user list a@b", "user list b x",
                           "user add-range bench@b 1 2 pw", "user add-range b%d%d@b 1 2 pw",
                           "user add-range b%s%d@b 1 2 pw", "user add-range b%d@b 2 1 pw",
                           "user add-range b%d@b 1 2", "user add-range b%d@b x 2 pw",
                           "stats all", "user passwd a@b"}) {
    EXPECT_FALSE(ParseAdminRequest(line).ok()) << line;
  }
}

class AccountJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::RocksDbStorageOptions options;
    options.data_dir = std::string(getenv("TEST_TMPDIR")) + "/" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name();
    options.sync = storage::SyncMode::kNone;
    auto storage = storage::OpenRocksDbStorage(options);
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);
    writer_ = storage_->NewWriter(ShardId(0));
  }
  void TearDown() override {
    writer_.reset();
    storage_.reset();
  }

  // Runs `line` to completion; returns its output and final line.
  std::string Run(const std::string& line) {
    auto request = ParseAdminRequest(line);
    if (!request.ok()) return "error: " + std::string(request.status().message()) + "\n";
    AccountJobOptions options;
    options.scram_iterations = 64;
    options.commit_batch = 7;
    AccountJob job(*request, writer_.get(), options);
    std::string output;
    // Tiny slices, as on a busy shard.
    while (!job.Run(absl::Now(), &output)) {
    }
    EXPECT_EQ(writer_->pending_writes(), 0u) << "everything is committed";
    if (job.status().ok()) return output + "ok\n";
    return output + "error: " + std::string(job.status().message()) + "\n";
  }

  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<storage::StorageWriter> writer_;
};

TEST_F(AccountJobTest, AddPasswdDelList) {
  EXPECT_EQ(Run("user add a@example.org one"), "ok\n");
  EXPECT_EQ(Run("user add A@example.org two"), "error: account a@example.org exists\n");
  auto sha256 = storage_->GetScramCredentials("a@example.org", storage::ScramHash::kSha256);
  ASSERT_TRUE(sha256.ok());
  EXPECT_TRUE(sasl::VerifyScramPassword(storage::ScramHash::kSha256, *sha256, "one"));
  auto sha1 = storage_->GetScramCredentials("a@example.org", storage::ScramHash::kSha1);
  ASSERT_TRUE(sha1.ok());
  EXPECT_EQ(sha1->iterations, 64u);
  EXPECT_TRUE(sasl::VerifyScramPassword(storage::ScramHash::kSha1, *sha1, "one"));

  EXPECT_EQ(Run("user passwd a@example.org with space"), "ok\n");
  sha256 = storage_->GetScramCredentials("a@example.org", storage::ScramHash::kSha256);
  EXPECT_TRUE(sasl::VerifyScramPassword(storage::ScramHash::kSha256, *sha256, "with space"));
  EXPECT_EQ(Run("user passwd nobody@example.org x"), "error: no account nobody@example.org\n");

  EXPECT_EQ(Run("user add b@example.org x"), "ok\n");
  EXPECT_EQ(Run("user list example.org"), "a@example.org\nb@example.org\nok\n");
  EXPECT_EQ(Run("user list example.org 1"), "a@example.org\nok\n");
  EXPECT_EQ(Run("user list other.org"), "ok\n");
  EXPECT_EQ(Run("user del a@example.org"), "ok\n");
  EXPECT_EQ(Run("user del a@example.org"), "error: no account a@example.org\n");
  EXPECT_EQ(Run("user list example.org"), "b@example.org\nok\n");
}

TEST_F(AccountJobTest, AddRangeSkipsExistingAndCommitsInBatches) {
  EXPECT_EQ(Run("user add-range u%d@example.org 10 29 pw"), "added 20 accounts\nok\n");
  EXPECT_EQ(Run("user add-range u%d@example.org 25 34 pw"),
            "added 5 accounts, skipped 5 that existed\nok\n");
  auto page = storage_->ListUsers("example.org", "", 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->users.size(), 25u);
  auto credentials = storage_->GetScramCredentials("u34@example.org", storage::ScramHash::kSha1);
  ASSERT_TRUE(credentials.ok());
  EXPECT_TRUE(sasl::VerifyScramPassword(storage::ScramHash::kSha1, *credentials, "pw"));
}

TEST_F(AccountJobTest, SameSaltSharesTheKeys) {
  EXPECT_EQ(Run("user add-range --same-salt s%d@example.org 1 3 pw"), "added 3 accounts\nok\n");
  auto first = storage_->GetScramCredentials("s1@example.org", storage::ScramHash::kSha256);
  auto third = storage_->GetScramCredentials("s3@example.org", storage::ScramHash::kSha256);
  ASSERT_TRUE(first.ok() && third.ok());
  EXPECT_EQ(*first, *third);
  EXPECT_TRUE(sasl::VerifyScramPassword(storage::ScramHash::kSha256, *third, "pw"));
  // Without it every account has its own salt.
  EXPECT_EQ(Run("user add-range d%d@example.org 1 2 pw"), "added 2 accounts\nok\n");
  auto d1 = storage_->GetScramCredentials("d1@example.org", storage::ScramHash::kSha256);
  auto d2 = storage_->GetScramCredentials("d2@example.org", storage::ScramHash::kSha256);
  EXPECT_NE(d1->salt, d2->salt);
}

}  // namespace
}  // namespace ringlet::admin
