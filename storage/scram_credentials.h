#pragma once

// The stored form of a password: SCRAM keys (RFC 5802 §3), one set per hash.
// Plain passwords are never stored. Shared by storage/ (which persists them)
// and xmpp/sasl/ (which derives and verifies them); plain data, any thread.

#include <cstdint>
#include <string>

namespace ringlet::storage {

// The hash functions SCRAM runs over. The values are stored in keys: never
// renumber.
enum class ScramHash : uint8_t {
  kSha1 = 1,
  kSha256 = 2,
};

// Salt, iteration count, StoredKey = H(ClientKey) and ServerKey, as raw bytes
// (not base64). stored_key and server_key are the hash's digest size.
struct ScramCredentials {
  std::string salt;
  uint32_t iterations = 0;
  std::string stored_key;
  std::string server_key;

  bool operator==(const ScramCredentials&) const = default;
};

}  // namespace ringlet::storage
