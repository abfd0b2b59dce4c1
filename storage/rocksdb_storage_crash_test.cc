// Durability under a process crash: a child process commits writes with
// sync=always and reports each acknowledged commit through a pipe; the
// parent kills it with SIGKILL mid-stream, reopens the data dir and expects
// every acknowledged write. One shard (the child's main thread).
//
// This checks process crashes only; that an fsync'd log also survives a
// power loss is RocksDB's and the kernel's promise, not testable here.

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/check.h"
#include "gtest/gtest.h"
#include "storage/rocksdb_storage.h"

namespace ringlet::storage {
namespace {

constexpr char kUser[] = "juliet@example.com";

std::string Stanza(uint64_t i) { return "<message>" + std::to_string(i) + "</message>"; }

// Runs in the child: commits forever, writing the number of each
// acknowledged commit to `ack_fd`.
[[noreturn]] void WriteUntilKilled(const RocksDbStorageOptions& options,
                                   int ack_fd) {
  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenRocksDbStorage(options);
  if (!storage.ok()) _exit(2);
  std::unique_ptr<StorageWriter> writer = (*storage)->NewWriter(ShardId(0));
  for (uint64_t i = 1;; ++i) {
    if (!writer->AppendArchivedMessage(kUser, {0, 0, "romeo@x", false, Stanza(i)}).ok() ||
        !writer->SetRosterItem(kUser, {"c" + std::to_string(i) + "@x"}).ok() ||
        !writer->Commit().ok()) {
      _exit(3);
    }
    if (write(ack_fd, &i, sizeof(i)) != sizeof(i)) _exit(4);
  }
}

TEST(CrashDurability, EveryAcknowledgedWriteSurvivesSigkill) {
  RocksDbStorageOptions options;
  options.data_dir = std::string(std::getenv("TEST_TMPDIR")) + "/crash";
  options.sync = SyncMode::kAlways;
  options.roster_items_max = 1'000'000;
  options.query_results_max = 1'000'000;

  int acks[2];
  ASSERT_EQ(pipe(acks), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(acks[0]);
    WriteUntilKilled(options, acks[1]);
  }
  close(acks[1]);

  uint64_t acknowledged = 0;
  while (acknowledged < 150) {
    ASSERT_EQ(read(acks[0], &acknowledged, sizeof(acknowledged)),
              static_cast<ssize_t>(sizeof(acknowledged)));
  }
  // While the child runs, the data dir is locked against other processes.
  absl::StatusOr<std::unique_ptr<Storage>> locked = OpenRocksDbStorage(options);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(locked.status().message().find("another ringlet process"),
            std::string::npos);

  ASSERT_EQ(kill(child, SIGKILL), 0);
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited early: " << wait_status;
  // Acknowledgements written before the kill are still in the pipe.
  uint64_t more = 0;
  while (read(acks[0], &more, sizeof(more)) == sizeof(more)) acknowledged = more;
  close(acks[0]);

  absl::StatusOr<std::unique_ptr<Storage>> storage = OpenRocksDbStorage(options);
  ASSERT_TRUE(storage.ok()) << storage.status();
  const uint64_t latest = *(*storage)->LatestArchiveId(kUser);
  EXPECT_GE(latest, acknowledged);
  const Roster roster = *(*storage)->GetRoster(kUser);
  EXPECT_GE(roster.version, acknowledged);
  EXPECT_GE(roster.items.size(), acknowledged);
  const std::vector<ArchivedMessage> archive =
      *(*storage)->QueryArchive(kUser, {.limit = 1'000'000});
  ASSERT_GE(archive.size(), acknowledged);
  for (uint64_t i = 1; i <= acknowledged; ++i) {
    ASSERT_EQ(archive[i - 1].id, i);
    ASSERT_EQ(archive[i - 1].stanza, Stanza(i));
  }
  std::printf("acknowledged %lu commits before SIGKILL; found %lu\n",
              static_cast<unsigned long>(acknowledged),
              static_cast<unsigned long>(latest));
}

}  // namespace
}  // namespace ringlet::storage
