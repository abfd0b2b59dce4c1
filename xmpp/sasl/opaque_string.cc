#include "xmpp/sasl/opaque_string.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <vector>

#include "absl/strings/str_format.h"

namespace ringlet::sasl {
namespace {

absl::Status Refused(UChar32 c) {
  return absl::InvalidArgumentError(
      absl::StrFormat("U+%04X is not allowed in a password (RFC 8265 OpaqueString)", c));
}

// RFC 8264 §9: the FreeformClass, by general category and the properties
// the derivation names.
bool InFreeformClass(UChar32 c) {
  if (c >= 0x20 && c <= 0x7e) return true;  // ASCII7 and the space
  const int hangul = u_getIntPropertyValue(c, UCHAR_HANGUL_SYLLABLE_TYPE);
  if (hangul == U_HST_LEADING_JAMO || hangul == U_HST_VOWEL_JAMO ||
      hangul == U_HST_TRAILING_JAMO) {
    return false;  // OldHangulJamo
  }
  if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
      u_hasBinaryProperty(c, UCHAR_NONCHARACTER_CODE_POINT)) {
    return false;  // PrecisIgnorableProperties
  }
  switch (u_charType(c)) {
    case U_CONTROL_CHAR:            // Cc
    case U_FORMAT_CHAR:             // Cf (joiners: CONTEXTJ, see the header)
    case U_PRIVATE_USE_CHAR:        // Co
    case U_SURROGATE:               // Cs
    case U_UNASSIGNED:              // Cn
    case U_LINE_SEPARATOR:          // Zl
    case U_PARAGRAPH_SEPARATOR:     // Zp
      return false;
    default:
      return true;  // L*, M*, N*, P*, S*, Zs
  }
}

}  // namespace

absl::StatusOr<std::string> PrepareOpaqueString(std::string_view password) {
  if (password.empty()) return absl::InvalidArgumentError("the password is empty");
  if (password.size() > INT32_MAX / 2) return absl::InvalidArgumentError("the password is too long");
  // Decode, mapping non-ASCII spaces to U+0020 (the additional mapping rule).
  std::vector<UChar> mapped;
  mapped.reserve(password.size());
  const auto* bytes = reinterpret_cast<const uint8_t*>(password.data());
  const int32_t length = static_cast<int32_t>(password.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return absl::InvalidArgumentError("the password is not valid UTF-8");
    if (c > 0x7f && u_charType(c) == U_SPACE_SEPARATOR) c = 0x20;
    if (U_IS_BMP(c)) {
      mapped.push_back(static_cast<UChar>(c));
    } else {
      mapped.push_back(U16_LEAD(c));
      mapped.push_back(U16_TRAIL(c));
    }
  }
  UErrorCode error = U_ZERO_ERROR;
  const UNormalizer2* nfc = unorm2_getNFCInstance(&error);
  if (U_FAILURE(error)) return absl::InternalError("ICU has no NFC data");
  // NFC of a string is at most 3x its UTF-16 length (Unicode's bound).
  std::vector<UChar> normalized(mapped.size() * 3 + 1);
  const int32_t normalized_length =
      unorm2_normalize(nfc, mapped.data(), static_cast<int32_t>(mapped.size()),
                       normalized.data(), static_cast<int32_t>(normalized.size()), &error);
  if (U_FAILURE(error)) return absl::InternalError("NFC normalisation failed");
  std::string out;
  out.reserve(password.size());
  for (int32_t i = 0; i < normalized_length;) {
    UChar32 c;
    U16_NEXT(normalized.data(), i, normalized_length, c);
    if (!InFreeformClass(c)) return Refused(c);
    uint8_t encoded[U8_MAX_LENGTH];
    int32_t n = 0;
    U8_APPEND_UNSAFE(encoded, n, c);  // c is a scalar value: at most 4 bytes
    out.append(reinterpret_cast<const char*>(encoded), n);
  }
  return out;
}

}  // namespace ringlet::sasl
