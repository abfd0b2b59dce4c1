#include "xmpp/offline/offline_delivery.h"

#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "storage/rocksdb_storage.h"

// The test's thread plays the user's home shard. A fake session stands in
// for the client: it has a send queue of a fixed size, and the test decides
// when the queued bytes are "written" (or the session ends).

namespace ringlet::xmpp {
namespace {

class FakeSession final : public LocalSession {
 public:
  explicit FakeSession(size_t queue_bytes_max) : queue_bytes_max_(queue_bytes_max) {}

  const Jid& full_jid() const override { return jid_; }
  bool available() const override { return true; }
  int priority() const override { return 0; }
  bool interested() const override { return false; }
  const std::string& last_presence() const override { return empty_; }
  void Deliver(std::string_view stanza) override {
    ASSERT_LE(queued_ + stanza.size(), queue_bytes_max_) << "send queue overflow";
    queued_ += stanza.size();
    delivered.emplace_back(stanza);
  }
  size_t deliver_room() const override { return queue_bytes_max_ - queued_; }
  void WhenWritten(absl::AnyInvocable<void(bool)> done) override {
    waiters_.push_back(std::move(done));
  }
  void Kick(std::string_view, std::string_view) override {}

  // The client read everything queued: run the waiters with true.
  bool WriteAll() {
    if (waiters_.empty()) return false;
    queued_ = 0;
    auto done = std::move(waiters_.front());
    waiters_.pop_front();
    done(true);
    return true;
  }
  // The connection went away.
  void End() {
    while (!waiters_.empty()) {
      auto done = std::move(waiters_.front());
      waiters_.pop_front();
      done(false);
    }
  }

  std::vector<std::string> delivered;

 private:
  Jid jid_ = *Jid::Parse("juliet@example.com/balcony");
  std::string empty_;
  size_t queue_bytes_max_;
  size_t queued_ = 0;
  std::deque<absl::AnyInvocable<void(bool)>> waiters_;
};

class OfflineDeliveryTest : public testing::Test {
 protected:
  void SetUp() override {
    storage::RocksDbStorageOptions options;
    const char* root = std::getenv("TEST_TMPDIR");
    options.data_dir = std::string(root ? root : "/tmp") + "/" +
                       testing::UnitTest::GetInstance()->current_test_info()->name();
    options.sync = storage::SyncMode::kNone;
    storage_ = *storage::OpenRocksDbStorage(options);
    writer_ = storage_->NewWriter(ShardId(0));
    ASSERT_TRUE(writer_->CreateAccount(kUser).ok());
    ASSERT_TRUE(writer_->Commit().ok());
  }

  void Store(int count, size_t bytes) {
    for (int i = 0; i < count; ++i) {
      std::string body(bytes, 'a' + i % 26);
      ASSERT_TRUE(writer_->AppendOfflineMessage(
          kUser, {0, 1000, "<message to='juliet@example.com'><body>" + body + "</body></message>"}).ok());
    }
    ASSERT_TRUE(writer_->Commit().ok());
  }

  std::shared_ptr<OfflineDelivery> Begin(FakeSession* session) {
    OfflineDelivery::Context context;
    context.writer = writer_.get();
    context.commit_soon = [this] { ASSERT_TRUE(writer_->Commit().ok()); };
    context.finished = [this] { ++finished_; };
    auto delivery = std::make_shared<OfflineDelivery>(session, kUser, std::move(context));
    delivery->Start();
    return delivery;
  }

  uint32_t Stored() { return *storage_->CountOfflineMessages(kUser); }

  static constexpr char kUser[] = "juliet@example.com";
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<storage::StorageWriter> writer_;
  int finished_ = 0;
};

// The defect this replaces: 12 messages of 200 KB at once overflowed a
// 1 MiB send queue, the client was cut off, and all 12 had already been
// deleted. Now each page fits the queue and is deleted once written.
TEST_F(OfflineDeliveryTest, BacklogLargerThanTheSendQueueGoesOutPageByPage) {
  Store(12, 200 * 1000);
  FakeSession session(1 << 20);
  auto delivery = Begin(&session);
  int pages = 0;
  while (session.WriteAll()) ++pages;
  EXPECT_EQ(session.delivered.size(), 12u);
  EXPECT_GE(pages, 4);  // at most half the queue per page
  EXPECT_EQ(Stored(), 0u);
  EXPECT_EQ(finished_, 1);
  for (const std::string& stanza : session.delivered) {
    EXPECT_NE(stanza.find("<delay xmlns='urn:xmpp:delay' from='example.com' stamp='1970-01-01T00:00:01.000Z'/></message>"),
              std::string::npos);
  }
}

// Nothing is deleted before it was written: a session that ends with a
// page in flight leaves that page and the rest stored.
TEST_F(OfflineDeliveryTest, SessionEndingMidwayKeepsWhatWasNotWritten) {
  Store(12, 200 * 1000);
  FakeSession session(1 << 20);
  auto delivery = Begin(&session);
  const size_t first_page = session.delivered.size();
  ASSERT_GT(first_page, 0u);
  ASSERT_TRUE(session.WriteAll());  // the first page was written and deleted
  ASSERT_GT(session.delivered.size(), first_page);  // the second is queued
  ASSERT_LT(session.delivered.size(), 12u);
  session.End();  // ... and never written
  EXPECT_EQ(finished_, 1);
  EXPECT_EQ(Stored(), 12u - first_page);
  // At the next login the rest arrives, the unwritten page again.
  FakeSession next(1 << 20);
  auto again = Begin(&next);
  while (next.WriteAll()) {
  }
  EXPECT_EQ(next.delivered.size(), 12u - first_page);
  EXPECT_EQ(Stored(), 0u);
}

TEST_F(OfflineDeliveryTest, EmptyQueueFinishesAtOnce) {
  FakeSession session(1 << 20);
  auto delivery = Begin(&session);
  EXPECT_EQ(finished_, 1);
  EXPECT_TRUE(session.delivered.empty());
}

// A message larger than the whole send queue can never be delivered: it
// stays stored (and is logged) instead of cutting the client off.
TEST_F(OfflineDeliveryTest, MessageLargerThanTheQueueIsKept) {
  Store(1, 8000);
  FakeSession session(4096);
  auto delivery = Begin(&session);
  while (session.WriteAll()) {
  }
  EXPECT_TRUE(session.delivered.empty());
  EXPECT_EQ(finished_, 1);
  EXPECT_EQ(Stored(), 1u);
}

// A delivery whose owner dropped it is not called back into.
TEST_F(OfflineDeliveryTest, DroppedDeliveryIgnoresLateCallbacks) {
  Store(3, 100);
  FakeSession session(1 << 20);
  auto delivery = Begin(&session);
  delivery.reset();
  EXPECT_TRUE(session.WriteAll());  // runs the waiter of a freed delivery: nothing happens
  EXPECT_EQ(Stored(), 3u);
}

}  // namespace
}  // namespace ringlet::xmpp
