#include "storage/storage_service.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/rocksdb_storage.h"

// One shard (a real ShardGroup) with its StorageService over a real
// RocksDB store; the test's thread waits for what the shard records.

namespace ringlet::storage {
namespace {

ShardGroup::Options OneShard() {
  ShardGroup::Options options;
  options.shard_count = 1;
  options.mailbox_depth = 64;
  options.shard.ring = Ring::Options{.sq_entries = 64, .cq_entries = 256};
  options.shard.recv_buffer_count = 16;
  options.shard.recv_buffer_bytes = 1024;
  options.shard.pin_to_core = false;
  return options;
}

class StorageServiceTest : public testing::Test {
 protected:
  void Open(SyncMode mode) {
    RocksDbStorageOptions options;
    const char* root = std::getenv("TEST_TMPDIR");
    options.data_dir = std::string(root ? root : "/tmp") + "/" +
                       testing::UnitTest::GetInstance()->current_test_info()->name();
    options.sync = mode;
    storage_ = *OpenRocksDbStorage(options);
  }

  // Starts the shard, runs `body` on it with its service.
  void Run(StorageService::Options options,
           std::function<void(Shard&, StorageService&)> body) {
    group_ = std::make_unique<ShardGroup>(OneShard());
    ASSERT_TRUE(group_
                    ->Start([&](Shard& shard) -> absl::Status {
                      auto service = StorageService::Create(&shard, storage_.get(), options);
                      if (!service.ok()) return service.status();
                      auto* raw = static_cast<StorageService*>(
                          shard.AddService(std::move(*service)));
                      body(shard, *raw);
                      return absl::OkStatus();
                    })
                    .ok());
  }

  void Record(const std::string& event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(event);
  }
  std::vector<std::string> WaitFor(size_t count) {
    absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (absl::Now() < give_up) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (events_.size() >= count) return events_;
      }
      absl::SleepFor(absl::Milliseconds(2));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  void TearDown() override {
    if (group_ != nullptr) {
      group_->RequestStop();
      group_->Join();
      group_.reset();
    }
    storage_.reset();
  }

  std::unique_ptr<Storage> storage_;
  std::unique_ptr<ShardGroup> group_;
  std::mutex mutex_;
  std::vector<std::string> events_;
};

// With --sync=always the acknowledgement waits for the storage thread's
// fsync; the write is visible to reads at once, and committed for good.
TEST_F(StorageServiceTest, AcknowledgesAfterTheFsyncAndKeepsTheWrite) {
  Open(SyncMode::kAlways);
  Run({}, [this](Shard&, StorageService& service) {
    ASSERT_TRUE(service.writer().CreateAccount("juliet@example.com").ok());
    service.AfterDurable([this, &service](const absl::Status& status) {
      Record(status.ok() ? "durable" : "failed");
      Record(absl::StrCat("syncs=", service.syncs()));
    });
    // An acknowledgement that depends on no write is not held back by one
    // that does, nor ahead of the write before it.
    service.AfterDurable([this](const absl::Status& status) { Record("second"); });
  });
  EXPECT_EQ(WaitFor(3), (std::vector<std::string>{"durable", "syncs=1", "second"}));
  EXPECT_TRUE(*storage_->AccountExists("juliet@example.com"));
}

// A slow disk (500 ms per fsync) does not stall the shard: a timer due
// 5 ms later (standing for another user's ping) runs while the
// acknowledgement still waits, and both complete.
TEST_F(StorageServiceTest, StalledFsyncLeavesTheShardResponsive) {
  Open(SyncMode::kAlways);
  StorageService::Options options;
  options.sync_stall = absl::Milliseconds(500);
  Run(options, [this](Shard& shard, StorageService& service) {
    ASSERT_TRUE(service.writer().CreateAccount("romeo@example.com").ok());
    service.AfterDurable([this](const absl::Status& status) {
      Record(status.ok() ? "durable" : "failed");
    });
    shard.timers().Add(shard.now() + absl::Milliseconds(5), [this] { Record("ping answered"); });
  });
  EXPECT_EQ(WaitFor(2), (std::vector<std::string>{"ping answered", "durable"}));
}

// One fsync covers every turn committed before it (group commit), and
// with --sync=none no fsync is waited for at all.
TEST_F(StorageServiceTest, WithoutFsyncAcknowledgesAfterTheCommit) {
  Open(SyncMode::kNone);
  StorageService::Options options;
  options.fsync_before_ack = false;
  options.sync_stall = absl::Seconds(30);  // never reached
  Run(options, [this](Shard&, StorageService& service) {
    ASSERT_TRUE(service.writer().CreateAccount("nurse@example.com").ok());
    service.AfterDurable([this, &service](const absl::Status& status) {
      Record(status.ok() ? "acknowledged" : "failed");
      Record(absl::StrCat("syncs=", service.syncs()));
    });
  });
  EXPECT_EQ(WaitFor(2), (std::vector<std::string>{"acknowledged", "syncs=0"}));
  EXPECT_TRUE(*storage_->AccountExists("nurse@example.com"));
}

}  // namespace
}  // namespace ringlet::storage
