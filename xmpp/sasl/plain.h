#pragma once

// The SASL PLAIN message (RFC 4616): [authzid] NUL authcid NUL passwd.
// Offered only over TLS (the caller's rule). The password is checked against
// the stored SCRAM keys with VerifyScramPassword (xmpp/sasl/scram_primitives.h).
// Stateless; any shard.

#include <cstddef>
#include <string_view>

#include "xmpp/sasl/sasl_status.h"

namespace ringlet::sasl {

// RFC 4616 §2: each field is at most 255 octets.
inline constexpr size_t kPlainFieldBytesMax = 255;

// The three fields; views into the parsed message, valid as long as it is.
struct PlainMessage {
  std::string_view authzid;  // empty if none
  std::string_view authcid;
  std::string_view password;
};

// Splits and checks a PLAIN message: exactly two NULs, non-empty authcid and
// password, no field over kPlainFieldBytesMax, every field valid UTF-8.
// Failures are malformed-request (or incorrect-encoding for bad UTF-8).
SaslStatus ParsePlainMessage(std::string_view message, PlainMessage* parsed);

// Returns whether `text` is well-formed UTF-8 (no overlongs, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace ringlet::sasl
