#pragma once

// The outcome of one SASL step: success, or the failure condition the server
// sends in <failure/> (RFC 6120 §6.5) together with the SCRAM server-error
// value (RFC 5802 §7, the "e=" attribute) when one applies. Plain value type,
// any thread.

#include <cstdint>
#include <string>

namespace ringlet::sasl {

// RFC 6120 §6.5 SASL failure conditions.
enum class SaslCondition : uint8_t {
  kAborted,
  kAccountDisabled,
  kCredentialsExpired,
  kEncryptionRequired,
  kIncorrectEncoding,
  kInvalidAuthzid,
  kInvalidMechanism,
  kMalformedRequest,
  kMechanismTooWeak,
  kNotAuthorized,
  kTemporaryAuthFailure,
};

// RFC 5802 §7 server-error-value; kNone when the failure has no "e=" value.
enum class ScramServerError : uint8_t {
  kNone,
  kInvalidEncoding,
  kExtensionsNotSupported,
  kInvalidProof,
  kChannelBindingsDontMatch,
  kServerDoesSupportChannelBinding,
  kChannelBindingNotSupported,
  kUnsupportedChannelBindingType,
  kUnknownUser,
  kInvalidUsernameEncoding,
  kNoResources,
  kOtherError,
};

// Returns the element name of a condition, e.g. "malformed-request".
const char* SaslConditionName(SaslCondition condition);

// Returns the RFC 5802 spelling, e.g. "invalid-proof"; "" for kNone.
const char* ScramServerErrorName(ScramServerError error);

class [[nodiscard]] SaslStatus {
 public:
  // OK.
  SaslStatus() = default;
  // A failure. `detail` is a static string for logs, never sent to a peer.
  SaslStatus(SaslCondition condition, ScramServerError server_error,
             const char* detail)
      : failed_(true),
        condition_(condition),
        server_error_(server_error),
        detail_(detail) {}

  bool ok() const { return !failed_; }
  SaslCondition condition() const { return condition_; }
  ScramServerError server_error() const { return server_error_; }
  const char* detail() const { return detail_; }

  // Returns "e=<value>" for a SCRAM server-final message, or "" if the
  // failure has no server-error value.
  std::string ServerFinalError() const;
  // Returns "ok" or "<condition> (e=<value>): <detail>" for logs.
  std::string ToString() const;

 private:
  bool failed_ = false;
  SaslCondition condition_ = SaslCondition::kAborted;
  ScramServerError server_error_ = ScramServerError::kNone;
  const char* detail_ = "";
};

}  // namespace ringlet::sasl
