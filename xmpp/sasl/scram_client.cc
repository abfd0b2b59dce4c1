#include "xmpp/sasl/scram_client.h"

#include "absl/container/flat_hash_map.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "xmpp/sasl/opaque_string.h"

namespace ringlet::sasl {
namespace {

using C = SaslCondition;
using E = ScramServerError;

SaslStatus Malformed(const char* detail) {
  return SaslStatus(C::kMalformedRequest, E::kNone, detail);
}

}  // namespace

ScramClient::ScramClient(ScramClientOptions options)
    : options_(std::move(options)), password_(PrepareOpaqueString(options_.password)) {}

std::string ScramClient::ClientFirst() {
  if (client_nonce_.empty()) {
    client_nonce_ = options_.random->ScramNonce(options_.nonce_chars);
  }
  std::string flag = "n";
  if (options_.mechanism.plus) {
    flag = "p=" + std::string(kChannelBindingTlsExporter);
  } else if (!options_.channel_binding_data.empty()) {
    flag = "y";
  }
  gs2_header_ = absl::StrCat(
      flag, ",",
      options_.authzid.empty() ? ""
                               : absl::StrCat("a=",
                                              EncodeSaslName(options_.authzid)),
      ",");
  client_first_bare_ = absl::StrCat(
      "n=", EncodeSaslName(options_.username), ",r=", client_nonce_);
  return gs2_header_ + client_first_bare_;
}

SaslStatus ScramClient::ReceiveServerFirst(std::string_view server_first,
                                           std::string* client_final) {
  std::vector<ScramAttribute> attributes;
  if (client_first_bare_.empty()) return Malformed("server-first too early");
  if (server_first.size() > kScramMessageBytesMax ||
      !SplitScramAttributes(server_first, &attributes) ||
      attributes.size() < 3 || attributes[0].name != 'r' ||
      attributes[1].name != 's' || attributes[2].name != 'i') {
    return Malformed("server-first lacks r=, s= or i=");
  }
  const std::string_view nonce = attributes[0].value;
  if (nonce.size() <= client_nonce_.size() ||
      nonce.substr(0, client_nonce_.size()) != client_nonce_ ||
      !IsValidScramNonce(nonce)) {
    return Malformed("server nonce does not extend the client nonce");
  }
  std::string salt;
  if (!Base64Decode(attributes[1].value, &salt) || salt.empty()) {
    return Malformed("invalid salt");
  }
  uint32_t iterations = 0;
  const std::string_view count = attributes[2].value;
  if (!absl::SimpleAtoi(absl::string_view(count.data(), count.size()),
                        &iterations) ||
      iterations < options_.iterations_min ||
      iterations > options_.iterations_max) {
    return Malformed("iteration count missing or out of bounds");
  }
  if (!password_.ok()) {
    return SaslStatus(C::kNotAuthorized, E::kNone,
                      "the password is not a valid RFC 8265 OpaqueString");
  }
  const ScramHash hash = options_.mechanism.hash;
  const std::string binding =
      options_.mechanism.plus ? gs2_header_ + options_.channel_binding_data
                              : gs2_header_;
  std::string without_proof = absl::StrCat("c=", Base64Encode(binding), ",r=");
  without_proof.append(nonce);
  std::string auth_message = client_first_bare_ + ",";
  auth_message.append(server_first);
  auth_message += "," + without_proof;
  const std::string salted = SaltedPassword(hash, salt, iterations);
  std::string proof = ScramHmac(hash, salted, "Client Key");
  const std::string client_signature =
      ScramHmac(hash, ScramDigest(hash, proof), auth_message);
  for (size_t i = 0; i < proof.size(); ++i) proof[i] ^= client_signature[i];
  server_signature_ =
      ScramHmac(hash, ScramHmac(hash, salted, "Server Key"), auth_message);
  *client_final = absl::StrCat(without_proof, ",p=", Base64Encode(proof));
  return SaslStatus();
}

std::string ScramClient::SaltedPassword(ScramHash hash, std::string_view salt,
                                        uint32_t iterations) const {
  if (!options_.cache_salted_password) {
    return ScramSaltedPassword(hash, *password_, salt, iterations);
  }
  // One cache per thread: shards never share it, so it needs no lock.
  thread_local absl::flat_hash_map<std::string, std::string> cache;
  std::string key = absl::StrCat(static_cast<int>(hash), ":", iterations, ":",
                                 Base64Encode(salt), ":", *password_);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::string salted = ScramSaltedPassword(hash, *password_, salt, iterations);
  if (cache.size() >= kSaltedPasswordCacheEntries) cache.clear();
  cache.emplace(std::move(key), salted);
  return salted;
}

SaslStatus ScramClient::ReceiveServerFinal(std::string_view server_final) {
  std::vector<ScramAttribute> attributes;
  if (server_signature_.empty()) return Malformed("server-final too early");
  if (!SplitScramAttributes(server_final, &attributes)) {
    return Malformed("server-final is not a list of attributes");
  }
  if (attributes[0].name == 'e') {
    // Reports the server's own error value where it is one we know.
    E error = E::kOtherError;
    for (int i = 1; i <= static_cast<int>(E::kOtherError); ++i) {
      if (attributes[0].value == ScramServerErrorName(static_cast<E>(i))) {
        error = static_cast<E>(i);
      }
    }
    return SaslStatus(C::kNotAuthorized, error,
                      "server sent e= in server-final");
  }
  std::string signature;
  if (attributes[0].name != 'v' ||
      !Base64Decode(attributes[0].value, &signature)) {
    return Malformed("server-final lacks v=");
  }
  if (!ConstantTimeEquals(signature, server_signature_)) {
    return SaslStatus(C::kNotAuthorized, E::kInvalidProof,
                      "server signature does not verify");
  }
  return SaslStatus();
}

}  // namespace ringlet::sasl
