#include "xmpp/admin/account_command.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/check.h"
#include "xmpp/jid/jid.h"
#include "xmpp/sasl/opaque_string.h"

namespace ringlet::admin {
namespace {

// Output a list step produces before it yields, so that the caller can
// send it and respect its connection's send queue.
constexpr size_t kListOutputBytesMax = 64 * 1024;
constexpr uint32_t kListPageMax = 1000;

// Takes the next space-separated word off the front of *rest.
bool NextWord(std::string_view* rest, std::string_view* word) {
  size_t start = rest->find_first_not_of(' ');
  if (start == std::string_view::npos) {
    *rest = {};
    return false;
  }
  size_t end = rest->find(' ', start);
  if (end == std::string_view::npos) end = rest->size();
  *word = rest->substr(start, end - start);
  *rest = rest->substr(end);
  return true;
}

// The rest of the line after the separating spaces: a password.
absl::StatusOr<std::string> TakePassword(std::string_view rest, const char* usage) {
  size_t start = rest.find_first_not_of(' ');
  if (start == std::string_view::npos) return absl::InvalidArgumentError(absl::StrCat("usage: ", usage));
  return std::string(rest.substr(start));
}

absl::StatusOr<std::string> BareUserJid(std::string_view text) {
  auto jid = Jid::Parse(text);
  if (!jid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad JID '", std::string(text), "': ", std::string(jid.status().message())));
  }
  if (jid->local().empty() || !jid->is_bare()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text), "' is not a user JID (user@domain, no resource)"));
  }
  return jid->ToString();
}

absl::StatusOr<uint64_t> ParseNumber(std::string_view text, const char* what) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(std::string(text), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a non-negative integer, not '", std::string(text), "'"));
  }
  return value;
}

// Returns the password prepared as RFC 8265 OpaqueString, the form its
// SCRAM keys are derived from (clients prepare what users type the same way).
absl::StatusOr<std::string> PreparePassword(const std::string& password) {
  if (password.empty()) return absl::InvalidArgumentError("the password is empty");
  if (password.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("the password contains a line break");
  }
  return sasl::PrepareOpaqueString(password);
}

constexpr char kAddUsage[] = "user add JID PASSWORD";
constexpr char kDelUsage[] = "user del JID";
constexpr char kPasswdUsage[] = "user passwd JID PASSWORD";
constexpr char kListUsage[] = "user list DOMAIN [LIMIT]";
constexpr char kAddRangeUsage[] = "user add-range [--same-salt] PATTERN FIRST LAST PASSWORD";

absl::Status Usage(const char* usage) { return absl::InvalidArgumentError(absl::StrCat("usage: ", usage)); }

absl::StatusOr<AdminRequest> ParseUserRequest(std::string_view rest) {
  AdminRequest request;
  std::string_view verb, word;
  if (!NextWord(&rest, &verb)) {
    return absl::InvalidArgumentError("usage: user add|del|passwd|list|add-range ...");
  }
  if (verb == "add" || verb == "passwd") {
    const bool add = verb == "add";
    const char* usage = add ? kAddUsage : kPasswdUsage;
    request.verb = add ? AdminVerb::kUserAdd : AdminVerb::kUserPasswd;
    if (!NextWord(&rest, &word)) return Usage(usage);
    auto jid = BareUserJid(word);
    if (!jid.ok()) return jid.status();
    request.jid = *jid;
    auto password = TakePassword(rest, usage);
    if (!password.ok()) return password.status();
    request.password = *password;
  } else if (verb == "del") {
    request.verb = AdminVerb::kUserDel;
    if (!NextWord(&rest, &word)) return Usage(kDelUsage);
    auto jid = BareUserJid(word);
    if (!jid.ok()) return jid.status();
    request.jid = *jid;
    if (NextWord(&rest, &word)) return Usage(kDelUsage);
  } else if (verb == "list") {
    request.verb = AdminVerb::kUserList;
    if (!NextWord(&rest, &word)) return Usage(kListUsage);
    auto domain = Jid::Parse(word);
    if (!domain.ok() || !domain->is_domain()) {
      return absl::InvalidArgumentError(absl::StrCat("bad domain '", std::string(word), "'"));
    }
    request.domain = domain->ToString();
    if (NextWord(&rest, &word)) {
      auto limit = ParseNumber(word, "LIMIT");
      if (!limit.ok()) return limit.status();
      request.limit = static_cast<uint32_t>(std::min<uint64_t>(*limit, UINT32_MAX));
    }
    if (NextWord(&rest, &word)) return Usage(kListUsage);
  } else if (verb == "add-range") {
    request.verb = AdminVerb::kUserAddRange;
    if (!NextWord(&rest, &word)) return Usage(kAddRangeUsage);
    if (word == "--same-salt") {
      request.same_salt = true;
      if (!NextWord(&rest, &word)) return Usage(kAddRangeUsage);
    }
    request.pattern = std::string(word);
    const size_t at = request.pattern.find("%d");
    if (at == std::string::npos || request.pattern.find('%', at + 2) != std::string::npos ||
        request.pattern.find('%') != at) {
      return absl::InvalidArgumentError("PATTERN must hold exactly one %d and no other %");
    }
    std::string_view first_word, last_word;
    if (!NextWord(&rest, &first_word) || !NextWord(&rest, &last_word)) return Usage(kAddRangeUsage);
    auto first = ParseNumber(first_word, "FIRST");
    if (!first.ok()) return first.status();
    auto last = ParseNumber(last_word, "LAST");
    if (!last.ok()) return last.status();
    if (*last < *first) return absl::InvalidArgumentError("LAST must not be below FIRST");
    if (*last - *first >= kAddRangeAccountsMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("at most ", kAddRangeAccountsMax, " accounts per add-range"));
    }
    request.first = *first;
    request.last = *last;
    // Both ends must make valid JIDs (the numbers in between only differ in
    // their digits).
    for (uint64_t number : {request.first, request.last}) {
      auto jid = BareUserJid(ExpandPattern(request.pattern, number));
      if (!jid.ok()) return jid.status();
    }
    auto password = TakePassword(rest, kAddRangeUsage);
    if (!password.ok()) return password.status();
    request.password = *password;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown command 'user ", std::string(verb),
                                                   "'; try user add|del|passwd|list|add-range"));
  }
  if (request.verb == AdminVerb::kUserAdd || request.verb == AdminVerb::kUserPasswd ||
      request.verb == AdminVerb::kUserAddRange) {
    auto prepared = PreparePassword(request.password);
    if (!prepared.ok()) return prepared.status();
    request.password = *std::move(prepared);
  }
  return request;
}

}  // namespace

const char* AdminUsage() {
  return "user add JID PASSWORD\n"
         "user del JID\n"
         "user passwd JID PASSWORD\n"
         "user list DOMAIN [LIMIT]\n"
         "user add-range [--same-salt] PATTERN FIRST LAST PASSWORD\n"
         "stats\n"
         "stats prometheus\n";
}

absl::StatusOr<AdminRequest> ParseAdminRequest(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::string_view rest = line, word;
  if (!NextWord(&rest, &word)) return absl::InvalidArgumentError("empty request");
  if (word == "user") return ParseUserRequest(rest);
  if (word == "stats") {
    AdminRequest request;
    request.verb = AdminVerb::kStats;
    if (NextWord(&rest, &word)) {
      if (word != "prometheus") return absl::InvalidArgumentError("usage: stats [prometheus]");
      request.verb = AdminVerb::kStatsPrometheus;
      if (NextWord(&rest, &word)) return absl::InvalidArgumentError("usage: stats [prometheus]");
    }
    return request;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command '", std::string(word), "'; commands: user, stats"));
}

std::string ExpandPattern(const std::string& pattern, uint64_t number) {
  std::string out = pattern;
  size_t at = out.find("%d");
  if (at != std::string::npos) out.replace(at, 2, absl::StrCat(number));
  return out;
}

AccountJob::AccountJob(AdminRequest request, storage::StorageWriter* writer,
                       const AccountJobOptions& options)
    : request_(std::move(request)),
      writer_(writer),
      options_(options),
      random_(options.random != nullptr ? *options.random : sasl::SystemRandom()),
      next_(request_.first) {
  CHECK(request_.is_user_command());
  CHECK(writer_ != nullptr);
}

void AccountJob::Finish(absl::Status status) {
  finished_ = true;
  status_ = std::move(status);
}

absl::Status AccountJob::Commit() {
  absl::Status status = writer_->Commit();
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("storage commit failed: ", std::string(status.message())));
  }
  return status;
}

void AccountJob::CommitOrDiscard(const absl::Status& status) {
  // The writer may hold other writes of this turn (it is the shard's), but
  // a half-made change must not be committed.
  if (!status.ok()) {
    writer_->Discard();
    Finish(status);
    return;
  }
  Finish(Commit());
}

absl::Status AccountJob::SetPassword(const std::string& user, const std::string& password) {
  for (storage::ScramHash hash : {storage::ScramHash::kSha1, storage::ScramHash::kSha256}) {
    storage::ScramCredentials credentials =
        sasl::NewScramCredentials(hash, password, options_.scram_iterations, random_);
    absl::Status status = writer_->SetScramCredentials(user, hash, credentials);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

bool AccountJob::Run(absl::Time deadline, std::string* output) {
  if (finished_) return true;
  switch (request_.verb) {
    case AdminVerb::kUserAdd: {
      absl::Status status = writer_->CreateAccount(request_.jid);
      if (status.code() == absl::StatusCode::kAlreadyExists) {
        Finish(absl::AlreadyExistsError(absl::StrCat("account ", request_.jid, " exists")));
        break;
      }
      if (status.ok()) status = SetPassword(request_.jid, request_.password);
      CommitOrDiscard(status);
      break;
    }
    case AdminVerb::kUserPasswd: {
      absl::Status status = SetPassword(request_.jid, request_.password);
      if (status.code() == absl::StatusCode::kNotFound) {
        Finish(absl::NotFoundError(absl::StrCat("no account ", request_.jid)));
        break;
      }
      CommitOrDiscard(status);
      break;
    }
    case AdminVerb::kUserDel: {
      absl::Status status = writer_->DeleteAccount(request_.jid);
      if (status.code() == absl::StatusCode::kNotFound) {
        Finish(absl::NotFoundError(absl::StrCat("no account ", request_.jid)));
        break;
      }
      if (status.ok()) status = Commit();
      if (status.ok()) deleted_users_.push_back(request_.jid);
      Finish(status);
      break;
    }
    case AdminVerb::kUserList:
      while (!finished_ && !StepList(output) && absl::Now() < deadline) {
      }
      break;
    case AdminVerb::kUserAddRange:
      StepAddRange(deadline, output);
      break;
    case AdminVerb::kStats:
    case AdminVerb::kStatsPrometheus:
      Finish(absl::InvalidArgumentError("not an account command"));
      break;
  }
  return finished_;
}

// Lists one page; returns true when the caller should yield (enough output
// for now, or finished).
bool AccountJob::StepList(std::string* output) {
  uint32_t page = kListPageMax;
  if (request_.limit != 0) page = static_cast<uint32_t>(std::min<uint64_t>(page, request_.limit - listed_));
  auto users = writer_->ListUsers(request_.domain, cursor_, page);
  if (!users.ok()) {
    Finish(users.status());
    return true;
  }
  for (const std::string& user : users->users) absl::StrAppend(output, user, "\n");
  listed_ += users->users.size();
  cursor_ = users->next_cursor;
  if (cursor_.empty() || (request_.limit != 0 && listed_ >= request_.limit)) {
    Finish(absl::OkStatus());
    return true;
  }
  return output->size() >= kListOutputBytesMax;
}

bool AccountJob::StepAddRange(absl::Time deadline, std::string* output) {
  if (request_.same_salt && shared_credentials_.empty()) {
    for (storage::ScramHash hash : {storage::ScramHash::kSha1, storage::ScramHash::kSha256}) {
      shared_credentials_.push_back(sasl::NewScramCredentials(
          hash, request_.password, options_.scram_iterations, random_));
    }
  }
  do {
    const std::string user = ExpandPattern(request_.pattern, next_);
    // The pattern's ends were checked; numbers in between only change digits.
    absl::Status status = writer_->CreateAccount(user);
    if (status.code() == absl::StatusCode::kAlreadyExists) {
      ++skipped_;
    } else if (status.ok()) {
      if (request_.same_salt) {
        status = writer_->SetScramCredentials(user, storage::ScramHash::kSha1, shared_credentials_[0]);
        if (status.ok()) {
          status = writer_->SetScramCredentials(user, storage::ScramHash::kSha256,
                                                shared_credentials_[1]);
        }
      } else {
        status = SetPassword(user, request_.password);
      }
      if (!status.ok()) {
        writer_->Discard();
        Finish(absl::Status(status.code(), absl::StrCat("after ", added_, " accounts, at ", user, ": ",
                                                        std::string(status.message()))));
        return true;
      }
      ++added_;
      ++uncommitted_;
    } else {
      writer_->Discard();
      Finish(absl::Status(status.code(), absl::StrCat("after ", added_, " accounts, at ", user, ": ",
                                                      std::string(status.message()))));
      return true;
    }
    const bool last = next_ == request_.last;
    ++next_;
    if (uncommitted_ >= options_.commit_batch || last) {
      absl::Status committed = Commit();
      if (!committed.ok()) {
        Finish(absl::Status(committed.code(),
                            absl::StrCat("after ", added_ - uncommitted_, " accounts committed: ",
                                         std::string(committed.message()))));
        return true;
      }
      uncommitted_ = 0;
    }
    if (last) {
      absl::StrAppend(output, "added ", added_, " accounts");
      if (skipped_ > 0) absl::StrAppend(output, ", skipped ", skipped_, " that existed");
      absl::StrAppend(output, "\n");
      Finish(absl::OkStatus());
      return true;
    }
  } while (absl::Now() < deadline);
  // Nothing stays uncommitted between slices: the writer is shared with the
  // rest of the shard, whose own Commit() or Discard() must not decide the
  // fate of accounts this job has not answered for yet.
  if (uncommitted_ > 0) {
    absl::Status committed = Commit();
    if (!committed.ok()) {
      Finish(absl::Status(committed.code(),
                          absl::StrCat("after ", added_ - uncommitted_, " accounts committed: ",
                                       std::string(committed.message()))));
      return true;
    }
    uncommitted_ = 0;
  }
  return false;
}

}  // namespace ringlet::admin
