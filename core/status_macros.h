#pragma once

// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr
// (abseil 20220623 ships neither).

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RINGLET_CONCAT_INNER(a, b) a##b
#define RINGLET_CONCAT(a, b) RINGLET_CONCAT_INNER(a, b)

// Evaluates `expression` (an absl::Status) and returns it if it is not OK.
#define RETURN_IF_ERROR(expression)                       \
  do {                                                    \
    ::absl::Status ringlet_status_ = (expression);        \
    if (!ringlet_status_.ok()) return ringlet_status_;    \
  } while (0)

// Evaluates `expression` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs` (which may be a declaration).
#define ASSIGN_OR_RETURN(lhs, expression) \
  ASSIGN_OR_RETURN_IMPL(RINGLET_CONCAT(ringlet_statusor_, __LINE__), lhs, expression)

#define ASSIGN_OR_RETURN_IMPL(statusor, lhs, expression) \
  auto statusor = (expression);                          \
  if (!statusor.ok()) return statusor.status();          \
  lhs = std::move(statusor).value()
