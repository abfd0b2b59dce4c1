#pragma once

// Logging: one line per event, each prefixed with a UTC timestamp, the level
// and the shard of the calling thread ("s0", "s1", ... or "main"). Callers
// add the connection id where there is one. The level is chosen by
// --log_level (core/runtime_flags.h) through SetLogLevel().
//
// Thread-safety: each line is formatted into a local buffer and written with
// one write(2) call, so lines from different shards never interleave. No
// locks are taken.

#include <string>

#include "absl/strings/str_format.h"

namespace ringlet {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Sets the lowest level that is written. Called once at start-up.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

// Parses "debug", "info", "warning" or "error".
bool ParseLogLevel(const std::string& text, LogLevel* level);

// Names the calling thread in every line it logs (e.g. "s3"). Shard threads
// call this when they start.
void SetThreadLogName(const std::string& name);

// Writes one line. Prefer the LOG_* macros, which skip formatting when the
// level is off.
void LogLine(LogLevel level, const char* file, int line, const std::string& text);

}  // namespace ringlet

#define RINGLET_LOG(level, ...)                                          \
  do {                                                                   \
    if ((level) >= ::ringlet::GetLogLevel()) {                           \
      ::ringlet::LogLine((level), __FILE__, __LINE__,                    \
                         ::absl::StrFormat(__VA_ARGS__));                \
    }                                                                    \
  } while (0)

#define LOG_DEBUG(...) RINGLET_LOG(::ringlet::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INFO(...) RINGLET_LOG(::ringlet::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARNING(...) RINGLET_LOG(::ringlet::LogLevel::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) RINGLET_LOG(::ringlet::LogLevel::kError, __VA_ARGS__)
