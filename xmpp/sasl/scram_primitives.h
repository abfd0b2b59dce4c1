#pragma once

// The building blocks SCRAM (RFC 5802, RFC 7677) is made of: the hash and
// HMAC, Hi() (PBKDF2), credential derivation, base64, saslname escaping,
// nonces and constant-time comparison. Stateless functions over byte strings,
// safe on any shard. Crypto comes from BoringSSL.
//
// Passwords given to these functions are already prepared (RFC 8265
// OpaqueString, xmpp/sasl/opaque_string.h): account commands, the server's
// PLAIN check and our SCRAM client prepare them first.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/scram_credentials.h"

namespace ringlet::sasl {

using storage::ScramCredentials;
using storage::ScramHash;

// A source of random bytes, injected so that tests are deterministic.
// Implementations say which threads may call them.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out[0, size)` with random bytes.
  virtual void Fill(uint8_t* out, size_t size) = 0;
  // Returns a SCRAM nonce of `chars` characters. The default draws them
  // with MakeScramNonce(); a test source may script exact nonces (e.g. an
  // RFC example's, which need not be in kScramNonceAlphabet).
  virtual std::string ScramNonce(size_t chars);
};

// Returns the process-wide BoringSSL RAND_bytes source (thread-safe; lives
// for the whole process).
RandomSource& SystemRandom();

// Returns the digest size of `hash` in bytes (20 or 32).
size_t ScramDigestBytes(ScramHash hash);

// Returns "SHA-1" or "SHA-256" (as in the mechanism names).
const char* ScramHashName(ScramHash hash);

// Returns H(data).
std::string ScramDigest(ScramHash hash, std::string_view data);

// Returns HMAC(key, data).
std::string ScramHmac(ScramHash hash, std::string_view key,
                      std::string_view data);

// Returns Hi(password, salt, iterations), i.e. PBKDF2 with HMAC-`hash`.
std::string ScramSaltedPassword(ScramHash hash, std::string_view password,
                                std::string_view salt, uint32_t iterations);

// Derives what an account stores from a password: StoredKey and ServerKey
// under the given salt and iteration count. Used by account creation.
ScramCredentials DeriveScramCredentials(ScramHash hash,
                                        std::string_view password,
                                        std::string_view salt,
                                        uint32_t iterations);

// Like DeriveScramCredentials with a fresh 16-byte random salt.
ScramCredentials NewScramCredentials(ScramHash hash, std::string_view password,
                                     uint32_t iterations, RandomSource& random);

// Returns whether `password` matches `credentials` (for SASL PLAIN, since
// only SCRAM keys are stored). Costs one Hi() computation.
bool VerifyScramPassword(ScramHash hash, const ScramCredentials& credentials,
                         std::string_view password);

// Compares in time that depends only on the sizes.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Standard base64 with padding (RFC 4648 §4).
std::string Base64Encode(std::string_view bytes);
// Decodes strict padded base64; false on any invalid character or length.
bool Base64Decode(std::string_view text, std::string* bytes);

// saslname escaping (RFC 5802 §5.1): ',' becomes "=2C" and '=' becomes "=3D".
std::string EncodeSaslName(std::string_view name);
// Reverses EncodeSaslName; false on a '=' not followed by "2C"/"3D", on an
// unescaped ',' and on an empty result.
bool DecodeSaslName(std::string_view text, std::string* name);

// The 64 characters a nonce we make is drawn from: the base64 alphabet
// (RFC 4648 §4), as Prosody and ejabberd send. RFC 5802 allows any
// printable character but ',', but some deployed clients' SCRAM parsers
// mangle quotes and other punctuation (xmpp.js 0.14 fails on '"'), so we
// send only what every client parses.
inline constexpr std::string_view kScramNonceAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Returns `chars` characters of kScramNonceAlphabet, each drawn uniformly
// from one byte of `random` (byte % 64: 6 random bits per character).
std::string MakeScramNonce(RandomSource& random, size_t chars);

// Returns whether `nonce` is non-empty printable ASCII without ','. This is
// what we accept from a peer (any RFC 5802 nonce), wider than what we make.
bool IsValidScramNonce(std::string_view nonce);

// One "x=value" attribute of a SCRAM message; value points into the message.
struct ScramAttribute {
  char name;
  std::string_view value;
};

// Splits a SCRAM message into its comma-separated attributes; false unless
// every part is a letter, '=' and a value. Values stay valid as long as
// `message` does.
bool SplitScramAttributes(std::string_view message,
                          std::vector<ScramAttribute>* attributes);

}  // namespace ringlet::sasl
