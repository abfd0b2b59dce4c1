#pragma once

// Password preparation: the PRECIS OpaqueString profile (RFC 8265 §4.2,
// the successor of SASLprep for XMPP passwords), so that a password set or
// typed in one form (e.g. "é" as one code point, or as "e" plus a combining
// accent; a no-break space) gives the same SCRAM keys as in another.
//
// Stateless, any thread. Unicode data comes from ICU (libicuuc, Unicode 15
// in Debian bookworm's ICU 72).
//
// What is applied, in the profile's order:
//   1. the input must be valid UTF-8;
//   2. every non-ASCII space (general category Zs) becomes U+0020;
//   3. Unicode Normalization Form C;
//   4. the PRECIS FreeformClass (RFC 8264 §4.3): letters, marks, digits,
//      punctuation, symbols and spaces are allowed; control and format
//      characters, private-use, surrogates, unassigned code points, line and
//      paragraph separators, default-ignorable code points and old Hangul
//      jamo are refused;
//   5. the result must not be empty.
// Limits: the contextual rules of RFC 5892 are not evaluated; the two
// CONTEXTJ joiners (U+200C, U+200D) are refused everywhere, CONTEXTO
// characters (e.g. U+00B7) are accepted everywhere. Input is bounded by
// the caller (SASL messages are at most a few KiB).

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringlet::sasl {

// Returns `password` prepared by the OpaqueString profile, as UTF-8.
// InvalidArgument names the first offending code point ("U+0007 is not
// allowed in a password") or says the password is empty or not UTF-8.
absl::StatusOr<std::string> PrepareOpaqueString(std::string_view password);

}  // namespace ringlet::sasl
