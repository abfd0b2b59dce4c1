#include "xmpp/admin/admin_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/address.h"
#include "net/test_util.h"
#include "storage/rocksdb_storage.h"
#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::admin {
namespace {

using ::ringlet::testing::ConnectBlocking;
using ::ringlet::testing::WriteAll;

// Two shards, RocksDB in $TEST_TMPDIR, an AdminService on each; shard 0
// listens on a unix socket (reached through a short symbolic link: the
// temporary directory's path is longer than a socket path may be) and on
// 127.0.0.1:0 for /metrics.
class AdminServer {
 public:
  explicit AdminServer(storage::SyncMode sync = storage::SyncMode::kNone) {
    const std::string tmp = getenv("TEST_TMPDIR");
    link_ = "/tmp/ringlet-admin-test-" + std::to_string(getpid());
    unlink(link_.c_str());
    EXPECT_EQ(symlink(tmp.c_str(), link_.c_str()), 0);
    storage::RocksDbStorageOptions storage_options;
    storage_options.data_dir =
        tmp + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    storage_options.sync = sync;
    auto storage = storage::OpenRocksDbStorage(storage_options);
    EXPECT_TRUE(storage.ok()) << storage.status();
    storage_ = std::move(*storage);

    AdminOptions options;
    options.socket_path = link_ + "/ringlet.sock";
    options.metrics_listen = "127.0.0.1:0";
    options.scram_iterations = 4096;
    options.commit_batch = 100;

    ShardGroup::Options group_options;
    group_options.shard_count = 2;
    group_options.mailbox_depth = 64;
    group_options.shard.ring = Ring::Options{.sq_entries = 64, .cq_entries = 256};
    group_options.shard.recv_buffer_count = 16;
    group_options.shard.pin_to_core = false;
    group_options.shard.shutdown_timeout = absl::Seconds(3);
    group_ = std::make_unique<ShardGroup>(group_options);
    absl::Status started = group_->Start([this, options](Shard& shard) -> absl::Status {
      auto* table = static_cast<ConnectionTable*>(
          shard.AddService(std::make_unique<ConnectionTable>(&shard, ConnectionTableLimits())));
      auto store = storage::StorageService::Create(&shard, storage_.get(), {});
      if (!store.ok()) return store.status();
      auto* store_service =
          static_cast<storage::StorageService*>(shard.AddService(std::move(*store)));
      auto admin = AdminService::Create(&shard, table, store_service, options);
      if (!admin.ok()) return admin.status();
      (*admin)->metrics().AddCounter("test_counter_total", "A test counter.")->Add(
          shard.id().value() + 1);
      (*admin)->SetUserDeletedCallback([this](const std::string& jid) {
        std::lock_guard<std::mutex> lock(mutex_);
        deleted_.push_back(jid);
      });
      if (shard.id() == ShardId(0)) metrics_address_ = *(*admin)->metrics_address();
      shard.AddService(std::move(*admin));
      return absl::OkStatus();
    });
    EXPECT_TRUE(started.ok()) << started;
    socket_ = *SocketAddress::Unix(options.socket_path);
  }
  ~AdminServer() {
    group_->RequestStop();
    group_->Join();
    storage_.reset();
    unlink(link_.c_str());
  }

  int Connect() {
    auto fd = ConnectBlocking(socket_);
    EXPECT_TRUE(fd.ok()) << fd.status();
    return fd.ok() ? *fd : -1;
  }
  std::vector<std::string> deleted() {
    std::lock_guard<std::mutex> lock(mutex_);
    return deleted_;
  }
  storage::Storage& storage() { return *storage_; }
  const SocketAddress& socket() const { return socket_; }
  const SocketAddress& metrics_address() const { return metrics_address_; }

 private:
  std::string link_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<ShardGroup> group_;
  SocketAddress socket_;
  SocketAddress metrics_address_;
  std::mutex mutex_;
  std::vector<std::string> deleted_;
};

// Reads one response block: lines up to and including "ok" or "error: ...".
std::string ReadResponse(int fd, absl::Duration timeout = absl::Seconds(10)) {
  std::string out;
  absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    size_t line_start = out.rfind('\n', out.size() >= 2 ? out.size() - 2 : 0);
    line_start = (line_start == std::string::npos || out.size() < 2) ? 0 : line_start + 1;
    if (!out.empty() && out.back() == '\n') {
      std::string last = out.substr(line_start);
      if (last == "ok\n" || last.rfind("error: ", 0) == 0) return out;
    }
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    if (n <= 0) break;
    out.push_back(c);
  }
  return out + "<timeout or EOF>";
}

std::string Request(int fd, const std::string& line) {
  EXPECT_TRUE(WriteAll(fd, line + "\n").ok());
  return ReadResponse(fd);
}

TEST(AdminServiceTest, SocketIsPrivate) {
  AdminServer server;
  struct stat info;
  ASSERT_EQ(stat(server.socket().unix_path().c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(AdminServiceTest, UserCommands) {
  AdminServer server;
  int fd = server.Connect();
  EXPECT_EQ(Request(fd, "user add alice@example.org s3cret"), "ok\n");
  EXPECT_EQ(Request(fd, "user add alice@example.org other"),
            "error: account alice@example.org exists\n");
  EXPECT_EQ(Request(fd, "user add bob@example.org pw"), "ok\n");
  EXPECT_EQ(Request(fd, "user list example.org"), "alice@example.org\nbob@example.org\nok\n");
  // Committed before "ok": another reader sees it at once.
  auto credentials =
      server.storage().GetScramCredentials("alice@example.org", storage::ScramHash::kSha256);
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->iterations, 4096u);
  EXPECT_TRUE(sasl::VerifyScramPassword(storage::ScramHash::kSha256, *credentials, "s3cret"));

  EXPECT_EQ(Request(fd, "user passwd alice@example.org new one"), "ok\n");
  credentials =
      server.storage().GetScramCredentials("alice@example.org", storage::ScramHash::kSha1);
  EXPECT_TRUE(sasl::VerifyScramPassword(storage::ScramHash::kSha1, *credentials, "new one"));
  EXPECT_EQ(Request(fd, "user passwd carol@example.org x"),
            "error: no account carol@example.org\n");

  EXPECT_EQ(Request(fd, "user del bob@example.org"), "ok\n");
  EXPECT_EQ(server.deleted(), std::vector<std::string>{"bob@example.org"});
  EXPECT_EQ(Request(fd, "user del bob@example.org"), "error: no account bob@example.org\n");
  EXPECT_EQ(Request(fd, "user list example.org"), "alice@example.org\nok\n");
  EXPECT_EQ(Request(fd, "bogus"), "error: unknown command 'bogus'; commands: user, stats\n");
  close(fd);
}

TEST(AdminServiceTest, AddRangeAndPipelinedRequests) {
  AdminServer server;
  int fd = server.Connect();
  EXPECT_EQ(Request(fd, "user add-range bench%d@example.org 1 200 pw"), "added 200 accounts\nok\n");
  EXPECT_EQ(Request(fd, "user add-range --same-salt bench%d@example.org 190 300 pw"),
            "added 100 accounts, skipped 11 that existed\nok\n");
  auto page = server.storage().ListUsers("example.org", "", 1000);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->users.size(), 300u);

  // Three requests in one write, answered in order.
  ASSERT_TRUE(WriteAll(fd, "user list example.org 2\nnonsense\r\nuser list example.org 1\n").ok());
  EXPECT_EQ(ReadResponse(fd), "bench1@example.org\nbench10@example.org\nok\n");
  EXPECT_EQ(ReadResponse(fd), "error: unknown command 'nonsense'; commands: user, stats\n");
  EXPECT_EQ(ReadResponse(fd), "bench1@example.org\nok\n");

  std::string all = Request(fd, "user list example.org");
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 301);
  close(fd);
}

TEST(AdminServiceTest, StatsGatherEveryShard) {
  AdminServer server;
  int fd = server.Connect();
  std::string table = Request(fd, "stats");
  EXPECT_NE(table.find("shard 0"), std::string::npos) << table;
  EXPECT_NE(table.find("shard 1"), std::string::npos) << table;
  EXPECT_NE(table.find("ringlet_loop_turns_total"), std::string::npos) << table;
  EXPECT_EQ(table.find("did not answer"), std::string::npos) << table;
  EXPECT_EQ(table.substr(table.size() - 3), "ok\n");

  std::string text = Request(fd, "stats prometheus");
  EXPECT_NE(text.find("# TYPE test_counter_total counter\n"
                      "test_counter_total{shard=\"0\"} 1\n"
                      "test_counter_total{shard=\"1\"} 2\n"
                      "test_counter_total{shard=\"all\"} 3\n"),
            std::string::npos)
      << text;
  // This admin connection is open on shard 0.
  EXPECT_NE(text.find("ringlet_connections_open{shard=\"0\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ringlet_admin_requests_total{shard=\"0\"} 2\n"), std::string::npos) << text;
  close(fd);
}

std::string HttpGet(const SocketAddress& address, const std::string& path) {
  auto fd = ConnectBlocking(address);
  EXPECT_TRUE(fd.ok());
  EXPECT_TRUE(WriteAll(*fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  std::string out;
  char buffer[4096];
  absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    ssize_t n = recv(*fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    out.append(buffer, n);
  }
  close(*fd);
  return out;
}

TEST(AdminServiceTest, ServesPrometheusOverHttp) {
  AdminServer server;
  std::string response = HttpGet(server.metrics_address(), "/metrics");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(response.find("test_counter_total{shard=\"all\"} 3\n"), std::string::npos) << response;
  EXPECT_EQ(HttpGet(server.metrics_address(), "/other").rfind("HTTP/1.1 404", 0), 0u);
}

// A measurement, not a check (run with --gtest_also_run_disabled_tests):
// 10,000 accounts through the socket, durable commits, 4096 rounds.
TEST(AdminServiceTest, DISABLED_AddRangeTenThousand) {
  AdminServer server(storage::SyncMode::kAlways);
  int fd = server.Connect();
  absl::Time start = absl::Now();
  EXPECT_TRUE(WriteAll(fd, "user add-range t%d@example.org 1 10000 pw\n").ok());
  EXPECT_EQ(ReadResponse(fd, absl::Minutes(10)), "added 10000 accounts\nok\n");
  std::printf("add-range of 10000 accounts: %s\n",
              absl::FormatDuration(absl::Now() - start).c_str());
  close(fd);
}

}  // namespace
}  // namespace ringlet::admin
