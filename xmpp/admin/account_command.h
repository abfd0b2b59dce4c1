#pragma once

// The admin line protocol's requests, and the account commands run against
// a StorageWriter. Shared by the admin service (inside ringletd, on shard 0)
// and by ringletctl (offline, straight on a data directory), so both accept
// exactly the same commands and answer them the same way.
//
// One request per line (a trailing "\r" is ignored); words are separated
// by spaces; a PASSWORD is the rest of the line after the words before it,
// so it may contain spaces (not line breaks):
//   user add JID PASSWORD
//   user del JID
//   user passwd JID PASSWORD
//   user list DOMAIN [LIMIT]               (LIMIT 0 or absent: all)
//   user add-range [--same-salt] PATTERN FIRST LAST PASSWORD
//   stats
//   stats prometheus
// PATTERN holds one %d, replaced by each number in [FIRST, LAST]
// (bench%d@example.org). Accounts of the range that already exist are
// skipped and counted. --same-salt derives the SCRAM keys once and stores
// them for every account of the range: the same password then gives the
// same stored keys, which is acceptable for load-test accounts only.
//
// An AccountJob runs one user command in slices (Run() returns when done or
// at its deadline), so that a long add-range never stalls the shard that
// runs it. Writes are committed before the job reports success: after each
// single-account command, and every commit_batch accounts of a range (so a
// range that fails midway keeps the batches committed before the failure).
//
// Plain objects, used by one thread at a time; the writer and random source
// must outlive the job.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/storage.h"
#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::admin {

enum class AdminVerb {
  kUserAdd,
  kUserDel,
  kUserPasswd,
  kUserList,
  kUserAddRange,
  kStats,
  kStatsPrometheus,
};

// The most accounts one add-range may create.
inline constexpr uint64_t kAddRangeAccountsMax = 10000000;

struct AdminRequest {
  AdminVerb verb = AdminVerb::kStats;
  std::string jid;       // add, del, passwd: the normalised bare JID
  std::string password;  // add, passwd, add-range
  std::string domain;    // list: the normalised domain
  uint32_t limit = 0;    // list: 0 for all
  std::string pattern;   // add-range: with one "%d"
  uint64_t first = 0;    // add-range
  uint64_t last = 0;     // add-range
  bool same_salt = false;  // add-range

  bool is_user_command() const { return verb != AdminVerb::kStats && verb != AdminVerb::kStatsPrometheus; }
};

// Returns the usage text of the protocol (one command per line).
const char* AdminUsage();

// Parses one request line (without its line break). InvalidArgument says
// what is wrong, in words fit for the client.
absl::StatusOr<AdminRequest> ParseAdminRequest(std::string_view line);

// Returns `pattern` with its "%d" replaced by `number`.
std::string ExpandPattern(const std::string& pattern, uint64_t number);

struct AccountJobOptions {
  uint32_t scram_iterations = 4096;
  uint32_t commit_batch = 1000;
  sasl::RandomSource* random = nullptr;  // salts; null: sasl::SystemRandom()
};

class AccountJob {
 public:
  // `request` must be a user command.
  AccountJob(AdminRequest request, storage::StorageWriter* writer,
             const AccountJobOptions& options);

  // Works until the command is finished or `deadline` has passed (at least
  // one step is taken). Appends response lines ("...\n", without the final
  // ok/error line) to *output. Returns true once finished; status() is then
  // the outcome.
  bool Run(absl::Time deadline, std::string* output);

  bool finished() const { return finished_; }
  const absl::Status& status() const { return status_; }
  // Bare JIDs whose deletion has been committed (user del).
  const std::vector<std::string>& deleted_users() const { return deleted_users_; }

 private:
  void Finish(absl::Status status);
  // Commits a single-account change, or drops it if `status` says it
  // failed halfway; finishes the job either way.
  void CommitOrDiscard(const absl::Status& status);
  // Stores both SCRAM hashes for `user`. Uncommitted.
  absl::Status SetPassword(const std::string& user, const std::string& password);
  bool StepList(std::string* output);
  bool StepAddRange(absl::Time deadline, std::string* output);
  absl::Status Commit();

  const AdminRequest request_;
  storage::StorageWriter* const writer_;
  const AccountJobOptions options_;
  sasl::RandomSource& random_;
  bool finished_ = false;
  absl::Status status_;
  std::vector<std::string> deleted_users_;

  // user list
  std::string cursor_;
  uint64_t listed_ = 0;
  // user add-range
  uint64_t next_ = 0;
  uint64_t added_ = 0;
  uint64_t skipped_ = 0;
  uint32_t uncommitted_ = 0;
  std::vector<storage::ScramCredentials> shared_credentials_;  // --same-salt
};

}  // namespace ringlet::admin
