#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace ringlet::internal {

void CheckFailed(const char* file, int line, const char* condition,
                 const char* message) {
  std::fprintf(stderr, "FATAL %s:%d: CHECK failed: %s %s\n", file, line,
               condition, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace ringlet::internal
