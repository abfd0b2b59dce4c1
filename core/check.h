#pragma once

// Assertions, in the three tiers of docs/architecture.md:
//   CHECK(cond)   always on; a breach would corrupt state, so the process
//                 stops loudly with the file, line and condition.
//   DCHECK(cond)  for expensive checks; compiled out under NDEBUG.
//   Survivable "cannot happen" events are logged and counted by the caller
//   (see core/log.h), never asserted: nothing the network controls reaches
//   a CHECK.
//
// abseil 20220623 has no absl/log, so these live here.

#include <cstdio>
#include <cstdlib>

namespace ringlet::internal {

[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const char* message);

}  // namespace ringlet::internal

#define CHECK(condition)                                                   \
  do {                                                                     \
    if (__builtin_expect(!(condition), 0)) {                               \
      ::ringlet::internal::CheckFailed(__FILE__, __LINE__, #condition, ""); \
    }                                                                      \
  } while (0)

#define CHECK_MSG(condition, message)                                       \
  do {                                                                      \
    if (__builtin_expect(!(condition), 0)) {                                \
      ::ringlet::internal::CheckFailed(__FILE__, __LINE__, #condition,       \
                                       (message));                          \
    }                                                                       \
  } while (0)

#define CHECK_OK(expression)                                                 \
  do {                                                                       \
    const auto& check_ok_status_ = (expression);                             \
    if (__builtin_expect(!check_ok_status_.ok(), 0)) {                       \
      ::ringlet::internal::CheckFailed(                                      \
          __FILE__, __LINE__, #expression,                                   \
          std::string(check_ok_status_.ToString()).c_str());                 \
    }                                                                        \
  } while (0)

#ifdef NDEBUG
#define DCHECK(condition) \
  do {                    \
    (void)sizeof(condition); \
  } while (0)
#else
#define DCHECK(condition) CHECK(condition)
#endif
