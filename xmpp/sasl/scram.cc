#include "xmpp/sasl/scram.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace ringlet::sasl {
namespace {

using C = SaslCondition;
using E = ScramServerError;

}  // namespace

bool ParseScramMechanism(std::string_view name, ScramMechanism* mechanism) {
  constexpr std::string_view kPlus = "-PLUS";
  mechanism->plus = name.size() > kPlus.size() &&
                    name.substr(name.size() - kPlus.size()) == kPlus;
  if (mechanism->plus) name.remove_suffix(kPlus.size());
  if (name == "SCRAM-SHA-1") {
    mechanism->hash = ScramHash::kSha1;
  } else if (name == "SCRAM-SHA-256") {
    mechanism->hash = ScramHash::kSha256;
  } else {
    return false;
  }
  return true;
}

std::string ScramMechanismName(ScramMechanism mechanism) {
  return absl::StrCat("SCRAM-", ScramHashName(mechanism.hash),
                      mechanism.plus ? "-PLUS" : "");
}

ScramServer::ScramServer(ScramServerOptions options)
    : options_(std::move(options)) {}

SaslStatus ScramServer::Fail(SaslCondition condition, ScramServerError error,
                             const char* detail) {
  state_ = State::kFailed;
  return SaslStatus(condition, error, detail);
}

// RFC 5802 §6 and RFC 9266: what each gs2-cbind-flag means depends on the
// mechanism the client chose and on what this server offered.
SaslStatus ScramServer::CheckChannelBindingFlag(std::string_view flag) {
  if (options_.mechanism.plus) {
    if (flag.substr(0, 2) != "p=") {
      return Fail(C::kMalformedRequest, E::kOtherError,
                  "-PLUS mechanism without p= channel binding flag");
    }
    if (flag.substr(2) != kChannelBindingTlsExporter) {
      // tls-unique is undefined for TLS 1.3 and tls-server-end-point is not
      // offered: both are refused the same way.
      return Fail(C::kNotAuthorized, E::kUnsupportedChannelBindingType,
                  "channel binding type other than tls-exporter");
    }
    if (options_.channel_binding_data.empty()) {
      return Fail(C::kNotAuthorized, E::kChannelBindingNotSupported,
                  "no channel binding data on this connection");
    }
    return SaslStatus();
  }
  if (flag == "n") return SaslStatus();
  if (flag == "y") {
    if (options_.plus_offered) {
      return Fail(C::kNotAuthorized, E::kServerDoesSupportChannelBinding,
                  "client says y although -PLUS was offered (downgrade?)");
    }
    return SaslStatus();
  }
  if (flag.substr(0, 2) == "p=") {
    return Fail(C::kMalformedRequest, E::kOtherError,
                "p= channel binding flag with a non-PLUS mechanism");
  }
  return Fail(C::kMalformedRequest, E::kOtherError,
              "invalid gs2-cbind-flag");
}

SaslStatus ScramServer::ReceiveClientFirst(std::string_view message) {
  if (state_ != State::kAwaitClientFirst) {
    return Fail(C::kMalformedRequest, E::kOtherError,
                "client-first out of order");
  }
  if (message.size() > kScramMessageBytesMax) {
    return Fail(C::kMalformedRequest, E::kOtherError,
                "client-first too large");
  }
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const size_t first_comma = message.find(',');
  const size_t second_comma = first_comma == std::string_view::npos
                                  ? std::string_view::npos
                                  : message.find(',', first_comma + 1);
  if (second_comma == std::string_view::npos) {
    return Fail(C::kMalformedRequest, E::kOtherError, "no GS2 header");
  }
  SaslStatus status = CheckChannelBindingFlag(message.substr(0, first_comma));
  if (!status.ok()) return status;
  const std::string_view authzid =
      message.substr(first_comma + 1, second_comma - first_comma - 1);
  if (!authzid.empty()) {
    if (authzid.substr(0, 2) != "a=" ||
        !DecodeSaslName(authzid.substr(2), &authzid_)) {
      return Fail(C::kMalformedRequest, E::kInvalidEncoding,
                  "invalid authzid in GS2 header");
    }
  }
  gs2_header_ = std::string(message.substr(0, second_comma + 1));
  const std::string_view bare = message.substr(second_comma + 1);

  std::vector<ScramAttribute> attributes;
  if (!SplitScramAttributes(bare, &attributes)) {
    return Fail(C::kMalformedRequest, E::kInvalidEncoding,
                "client-first-message-bare is not a list of attributes");
  }
  if (attributes[0].name == 'm') {
    return Fail(C::kMalformedRequest, E::kExtensionsNotSupported,
                "mandatory extension requested");
  }
  if (attributes.size() < 2 || attributes[0].name != 'n' ||
      attributes[1].name != 'r') {
    return Fail(C::kMalformedRequest, E::kOtherError,
                "client-first-message-bare lacks n= and r=");
  }
  if (!DecodeSaslName(attributes[0].value, &username_)) {
    return Fail(C::kMalformedRequest, E::kInvalidUsernameEncoding,
                "invalid saslname in n=");
  }
  if (!IsValidScramNonce(attributes[1].value)) {
    return Fail(C::kMalformedRequest, E::kOtherError, "invalid client nonce");
  }
  // Optional extensions after r= are ignored (RFC 5802 §5.1).
  client_first_bare_ = std::string(bare);
  nonce_ = std::string(attributes[1].value) +
           options_.random->ScramNonce(options_.nonce_chars);
  state_ = State::kAwaitCredentials;
  return SaslStatus();
}

SaslStatus ScramServer::MakeServerFirst(const ScramCredentials* credentials,
                                        std::string* server_first) {
  if (state_ != State::kAwaitCredentials) {
    return Fail(C::kMalformedRequest, E::kOtherError,
                "server-first out of order");
  }
  const ScramHash hash = options_.mechanism.hash;
  if (credentials == nullptr) {
    decoy_ = true;
    credentials_.salt =
        ScramHmac(ScramHash::kSha256, options_.decoy_key, username_)
            .substr(0, 16);
    credentials_.iterations = options_.decoy_iterations;
    // Keys of the right size keep the proof check as costly as a real one.
    credentials_.stored_key.assign(ScramDigestBytes(hash), '\0');
    credentials_.server_key.assign(ScramDigestBytes(hash), '\0');
  } else {
    if (credentials->stored_key.size() != ScramDigestBytes(hash) ||
        credentials->server_key.size() != ScramDigestBytes(hash) ||
        credentials->iterations == 0) {
      return Fail(C::kTemporaryAuthFailure, E::kOtherError,
                  "stored credentials do not fit the mechanism");
    }
    credentials_ = *credentials;
  }
  server_first_ = absl::StrCat("r=", nonce_, ",s=",
                               Base64Encode(credentials_.salt),
                               ",i=", credentials_.iterations);
  *server_first = server_first_;
  state_ = State::kAwaitClientFinal;
  return SaslStatus();
}

SaslStatus ScramServer::ReceiveClientFinal(std::string_view message,
                                           std::string* server_final) {
  if (state_ != State::kAwaitClientFinal) {
    return Fail(C::kMalformedRequest, E::kOtherError,
                "client-final out of order");
  }
  if (message.size() > kScramMessageBytesMax) {
    return Fail(C::kMalformedRequest, E::kOtherError,
                "client-final too large");
  }
  // client-final-message = channel-binding "," nonce ["," extensions]
  //                        "," proof
  std::vector<ScramAttribute> attributes;
  if (!SplitScramAttributes(message, &attributes) || attributes.size() < 3 ||
      attributes[0].name != 'c' || attributes[1].name != 'r' ||
      attributes.back().name != 'p') {
    return Fail(C::kMalformedRequest, E::kInvalidEncoding,
                "client-final lacks c=, r= or p=");
  }
  std::string channel_binding;
  if (!Base64Decode(attributes[0].value, &channel_binding)) {
    return Fail(C::kMalformedRequest, E::kInvalidEncoding,
                "c= is not base64");
  }
  std::string expected_binding = gs2_header_;
  if (options_.mechanism.plus) {
    expected_binding += options_.channel_binding_data;
  }
  if (!ConstantTimeEquals(channel_binding, expected_binding)) {
    return Fail(C::kNotAuthorized, E::kChannelBindingsDontMatch,
                "channel binding does not match");
  }
  if (attributes[1].value != nonce_) {
    return Fail(C::kNotAuthorized, E::kOtherError, "nonce does not match");
  }
  const ScramHash hash = options_.mechanism.hash;
  std::string proof;
  if (!Base64Decode(attributes.back().value, &proof)) {
    return Fail(C::kMalformedRequest, E::kInvalidEncoding,
                "p= is not base64");
  }
  if (proof.size() != ScramDigestBytes(hash)) {
    return Fail(C::kNotAuthorized, E::kInvalidProof,
                "proof has the wrong size");
  }
  // AuthMessage = client-first-message-bare "," server-first-message ","
  //               client-final-message-without-proof
  const std::string_view without_proof = message.substr(
      0, message.size() - attributes.back().value.size() - 3);
  // (abseil here has its own string_view, which StrCat wants: so append.)
  std::string auth_message =
      absl::StrCat(client_first_bare_, ",", server_first_, ",");
  auth_message.append(without_proof);
  const std::string client_signature =
      ScramHmac(hash, credentials_.stored_key, auth_message);
  std::string client_key = proof;
  for (size_t i = 0; i < client_key.size(); ++i) {
    client_key[i] ^= client_signature[i];
  }
  // Always compute and compare, also for a decoy, so that timing does not
  // tell unknown users apart.
  const bool match = ConstantTimeEquals(ScramDigest(hash, client_key),
                                        credentials_.stored_key);
  if (!match || decoy_) {
    return Fail(C::kNotAuthorized, E::kInvalidProof, "invalid proof");
  }
  *server_final = absl::StrCat(
      "v=", Base64Encode(ScramHmac(hash, credentials_.server_key,
                                   auth_message)));
  state_ = State::kSucceeded;
  return SaslStatus();
}

}  // namespace ringlet::sasl
