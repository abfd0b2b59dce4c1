#include "xmpp/sasl/sasl_status.h"

#include "absl/strings/str_cat.h"

namespace ringlet::sasl {

const char* SaslConditionName(SaslCondition condition) {
  switch (condition) {
    case SaslCondition::kAborted: return "aborted";
    case SaslCondition::kAccountDisabled: return "account-disabled";
    case SaslCondition::kCredentialsExpired: return "credentials-expired";
    case SaslCondition::kEncryptionRequired: return "encryption-required";
    case SaslCondition::kIncorrectEncoding: return "incorrect-encoding";
    case SaslCondition::kInvalidAuthzid: return "invalid-authzid";
    case SaslCondition::kInvalidMechanism: return "invalid-mechanism";
    case SaslCondition::kMalformedRequest: return "malformed-request";
    case SaslCondition::kMechanismTooWeak: return "mechanism-too-weak";
    case SaslCondition::kNotAuthorized: return "not-authorized";
    case SaslCondition::kTemporaryAuthFailure: return "temporary-auth-failure";
  }
  return "not-authorized";
}

const char* ScramServerErrorName(ScramServerError error) {
  switch (error) {
    case ScramServerError::kNone: return "";
    case ScramServerError::kInvalidEncoding: return "invalid-encoding";
    case ScramServerError::kExtensionsNotSupported:
      return "extensions-not-supported";
    case ScramServerError::kInvalidProof: return "invalid-proof";
    case ScramServerError::kChannelBindingsDontMatch:
      return "channel-bindings-dont-match";
    case ScramServerError::kServerDoesSupportChannelBinding:
      return "server-does-support-channel-binding";
    case ScramServerError::kChannelBindingNotSupported:
      return "channel-binding-not-supported";
    case ScramServerError::kUnsupportedChannelBindingType:
      return "unsupported-channel-binding-type";
    case ScramServerError::kUnknownUser: return "unknown-user";
    case ScramServerError::kInvalidUsernameEncoding:
      return "invalid-username-encoding";
    case ScramServerError::kNoResources: return "no-resources";
    case ScramServerError::kOtherError: return "other-error";
  }
  return "other-error";
}

std::string SaslStatus::ServerFinalError() const {
  if (!failed_ || server_error_ == ScramServerError::kNone) return "";
  return absl::StrCat("e=", ScramServerErrorName(server_error_));
}

std::string SaslStatus::ToString() const {
  if (!failed_) return "ok";
  if (server_error_ == ScramServerError::kNone) {
    return absl::StrCat(SaslConditionName(condition_), ": ", detail_);
  }
  return absl::StrCat(SaslConditionName(condition_), " (e=",
                      ScramServerErrorName(server_error_), "): ", detail_);
}

}  // namespace ringlet::sasl
