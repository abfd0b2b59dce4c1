#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <ctime>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ringlet {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
thread_local char t_thread_name[16] = "main";

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "D";
    case LogLevel::kInfo:
      return "I";
    case LogLevel::kWarning:
      return "W";
    case LogLevel::kError:
      return "E";
  }
  return "?";
}

}  // namespace

void SetLogLevel(LogLevel level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel GetLogLevel() {
  return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed));
}

bool ParseLogLevel(const std::string& text, LogLevel* level) {
  if (text == "debug") {
    *level = LogLevel::kDebug;
  } else if (text == "info") {
    *level = LogLevel::kInfo;
  } else if (text == "warning") {
    *level = LogLevel::kWarning;
  } else if (text == "error") {
    *level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

void SetThreadLogName(const std::string& name) {
  std::strncpy(t_thread_name, name.c_str(), sizeof(t_thread_name) - 1);
  t_thread_name[sizeof(t_thread_name) - 1] = '\0';
}

void LogLine(LogLevel level, const char* file, int line, const std::string& text) {
  const char* base = std::strrchr(file, '/');
  base = base != nullptr ? base + 1 : file;
  std::string out = absl::StrFormat(
      "%s %s %s %s:%d] %s\n",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      LevelName(level), t_thread_name, base, line, text);
  // One write per line: lines from different shards never interleave.
  ssize_t ignored = ::write(STDERR_FILENO, out.data(), out.size());
  (void)ignored;
}

}  // namespace ringlet
