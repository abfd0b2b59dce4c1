#include "xmpp/sasl/plain.h"

#include <cstdint>

namespace ringlet::sasl {

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t lead = static_cast<uint8_t>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2;
      code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const uint8_t next = static_cast<uint8_t>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    constexpr uint32_t kMinimum[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

SaslStatus ParsePlainMessage(std::string_view message, PlainMessage* parsed) {
  const auto malformed = [](const char* detail) {
    return SaslStatus(SaslCondition::kMalformedRequest, ScramServerError::kNone,
                      detail);
  };
  const size_t first = message.find('\0');
  const size_t second = first == std::string_view::npos
                            ? std::string_view::npos
                            : message.find('\0', first + 1);
  if (second == std::string_view::npos) {
    return malformed("PLAIN message needs two NUL separators");
  }
  if (message.find('\0', second + 1) != std::string_view::npos) {
    return malformed("PLAIN message has more than two NUL separators");
  }
  parsed->authzid = message.substr(0, first);
  parsed->authcid = message.substr(first + 1, second - first - 1);
  parsed->password = message.substr(second + 1);
  if (parsed->authcid.empty() || parsed->password.empty()) {
    return malformed("PLAIN authcid or password is empty");
  }
  for (std::string_view field :
       {parsed->authzid, parsed->authcid, parsed->password}) {
    if (field.size() > kPlainFieldBytesMax) {
      return malformed("PLAIN field longer than 255 bytes");
    }
    if (!IsValidUtf8(field)) {
      return SaslStatus(SaslCondition::kIncorrectEncoding,
                        ScramServerError::kNone, "PLAIN field is not UTF-8");
    }
  }
  return SaslStatus();
}

}  // namespace ringlet::sasl
