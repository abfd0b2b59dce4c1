// ringletctl: manages the accounts of a ringlet server and reads its
// metrics.
//
// It talks to the running server over its admin socket (the line protocol
// of xmpp/admin/account_command.h) when --admin_socket is given, or when
// <data_dir>/ringlet.sock accepts a connection; otherwise it opens the data
// directory itself (RocksDB) and runs the same account commands there. A
// data directory locked by a running server whose socket cannot be reached
// is refused with a clear message, never waited for.
//
// Exit codes: 0 ok, 1 error (the command failed, or nothing to talk to),
// 2 usage.

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/log.h"
#include "core/runtime_flags.h"
#include "net/address.h"
#include "storage/rocksdb_storage.h"
#include "storage/storage_flags.h"
#include "xmpp/admin/account_command.h"
#include "xmpp/admin/admin_flags.h"

ABSL_FLAG(bool, same_salt, false,
          "user add-range only: derive the SCRAM keys once and give every account of the "
          "range the same salt and keys (fast; for load-test accounts only).");

namespace ringlet {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    "ringletctl: manage the accounts of a ringlet server and read its metrics.\n"
    "\n"
    "  ringletctl [--data_dir=DIR | --admin_socket=PATH] COMMAND\n"
    "\n"
    "Commands:\n"
    "  user add JID PASSWORD\n"
    "  user del JID\n"
    "  user passwd JID PASSWORD\n"
    "  user list DOMAIN [LIMIT]          (LIMIT 0 or absent: all)\n"
    "  user add-range PATTERN FIRST LAST PASSWORD\n"
    "                                    (PATTERN has one %d: bench%d@example.org;\n"
    "                                    existing accounts are skipped; see --same_salt)\n"
    "  stats                             (a running server only)\n"
    "  stats prometheus\n"
    "\n"
    "A PASSWORD of '-' is read from the first line of standard input (keeps it out\n"
    "of the process list and shell history).\n"
    "\n"
    "With --admin_socket, or when --data_dir is given and DIR/ringlet.sock accepts a\n"
    "connection, the command goes to the running server. Otherwise the data\n"
    "directory is opened directly (the server must not be running).\n"
    "New passwords are stored as SCRAM-SHA-1 and SCRAM-SHA-256 keys with\n"
    "--scram_iterations iterations (offline; a running server uses its own flag).\n"
    "\n"
    "Exit codes: 0 ok, 1 error, 2 usage.";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "ringletctl: %s\nrun 'ringletctl --help' for usage\n", message.c_str());
  return kExitUsage;
}

int Error(const std::string& message) {
  std::fprintf(stderr, "ringletctl: %s\n", message.c_str());
  return kExitError;
}

// Connects to a local socket; -1 (errno set) if nobody accepts there.
int ConnectUnix(const SocketAddress& address) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, address.sockaddr_ptr(), address.length()) != 0) {
    int error = errno;
    close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Sends one request and prints its response: output lines to stdout, an
// error to stderr.
int RunRemote(int fd, const std::string& line, const std::string& where) {
  if (!WriteAll(fd, line + "\n")) return Error(absl::StrCat("cannot send to ", where, ": ", strerror(errno)));
  std::string pending;
  char buffer[65536];
  while (true) {
    size_t end;
    while ((end = pending.find('\n')) != std::string::npos) {
      std::string response = pending.substr(0, end);
      pending.erase(0, end + 1);
      if (response == "ok") return kExitOk;
      if (response.rfind("error: ", 0) == 0) return Error(response.substr(7));
      std::fwrite(response.data(), 1, response.size(), stdout);
      std::fputc('\n', stdout);
    }
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error(absl::StrCat(where, " closed the connection before answering"));
    pending.append(buffer, static_cast<size_t>(n));
  }
}

int RunOffline(const admin::AdminRequest& request, const std::string& data_dir, const std::string& socket_path) {
  if (!request.is_user_command()) {
    return Error(absl::StrCat("stats needs a running server, and nothing answers on ", socket_path));
  }
  struct stat info;
  const bool creates = request.verb == admin::AdminVerb::kUserAdd ||
                       request.verb == admin::AdminVerb::kUserAddRange;
  if (!creates && stat(data_dir.c_str(), &info) != 0) {
    return Error(absl::StrCat("no data directory at ", data_dir));
  }
  auto options = storage::RocksDbStorageOptionsFromFlags();
  if (!options.ok()) return UsageError(std::string(options.status().message()));
  auto storage = storage::OpenRocksDbStorage(*options);
  if (!storage.ok()) {
    if (storage.status().code() == absl::StatusCode::kFailedPrecondition) {
      return Error(absl::StrCat(
          "the data directory ", data_dir,
          " is in use by a running server, but its admin socket ", socket_path,
          " does not answer; if the server was started with another --admin_socket, pass the "
          "same one here"));
    }
    return Error(std::string(storage.status().message()));
  }
  std::unique_ptr<storage::StorageWriter> writer = (*storage)->NewWriter(ShardId(0));
  admin::AccountJobOptions job_options;
  job_options.scram_iterations = absl::GetFlag(FLAGS_scram_iterations);
  admin::AccountJob job(request, writer.get(), job_options);
  std::string output;
  while (!job.Run(absl::InfiniteFuture(), &output)) {
  }
  std::fwrite(output.data(), 1, output.size(), stdout);
  if (!job.status().ok()) return Error(std::string(job.status().message()));
  return kExitOk;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args = ParseCommandLine(argc, argv, kUsage);
  // A command-line tool: only warnings and errors, unless asked for more.
  if (absl::GetFlag(FLAGS_log_level) == "info") SetLogLevel(LogLevel::kWarning);
  args.erase(args.begin());  // argv[0]
  if (args.empty()) return UsageError("no command given");

  // A password of "-" comes from standard input.
  const bool has_password =
      args.size() >= 2 && args[0] == "user" &&
      (args[1] == "add" || args[1] == "passwd" || args[1] == "add-range");
  if (has_password && args.back() == "-") {
    std::string password;
    if (!std::getline(std::cin, password)) return Error("no password on standard input");
    if (!password.empty() && password.back() == '\r') password.pop_back();
    args.back() = password;
  }
  if (absl::GetFlag(FLAGS_same_salt)) {
    if (args.size() < 2 || args[0] != "user" || args[1] != "add-range") {
      return UsageError("--same_salt applies to user add-range only");
    }
    args.insert(args.begin() + 2, "--same-salt");
  }
  const std::string line = absl::StrJoin(args, " ");
  auto request = admin::ParseAdminRequest(line);
  if (!request.ok()) return UsageError(std::string(request.status().message()));

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  std::string socket_path = absl::GetFlag(FLAGS_admin_socket);
  const bool socket_given = !socket_path.empty();
  if (!socket_given) socket_path = admin::DefaultSocketPath(data_dir);
  if (socket_path.empty()) return UsageError("give --data_dir=DIR or --admin_socket=PATH");

  auto address = SocketAddress::Unix(socket_path);
  int fd = address.ok() ? ConnectUnix(*address) : -1;
  if (fd >= 0) {
    int code = RunRemote(fd, line, socket_path);
    close(fd);
    return code;
  }
  if (socket_given) {
    return Error(absl::StrCat("cannot reach the server's admin socket ", socket_path, ": ",
                              address.ok() ? strerror(errno)
                                           : std::string(address.status().message())));
  }
  return RunOffline(*request, data_dir, socket_path);
}

}  // namespace
}  // namespace ringlet

int main(int argc, char** argv) { return ringlet::Main(argc, argv); }
