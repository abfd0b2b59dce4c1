#pragma once

// Character classes of XML 1.0 (fifth edition) and a strict UTF-8 decoder,
// shared by the tokenizer and the entity decoder. Private to xmpp/xml.

#include <cstddef>
#include <cstdint>

namespace ringlet::xml::internal {

// XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
// [#x10000-#x10FFFF].
constexpr bool IsXmlChar(uint32_t c) {
  if (c < 0x20) return c == 0x9 || c == 0xA || c == 0xD;
  if (c <= 0xD7FF) return true;
  if (c < 0xE000) return false;
  if (c <= 0xFFFD) return true;
  return c >= 0x10000 && c <= 0x10FFFF;
}

constexpr bool IsXmlSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// NameStartChar without ':' (names are QNames: NCName (':' NCName)?).
constexpr bool IsNameStartChar(uint32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) ||
         (c >= 0xF8 && c <= 0x2FF) || (c >= 0x370 && c <= 0x37D) ||
         (c >= 0x37F && c <= 0x1FFF) || (c >= 0x200C && c <= 0x200D) ||
         (c >= 0x2070 && c <= 0x218F) || (c >= 0x2C00 && c <= 0x2FEF) ||
         (c >= 0x3001 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFDCF) ||
         (c >= 0xFDF0 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0xEFFFF);
}

// NameChar without ':'.
constexpr bool IsNameChar(uint32_t c) {
  if (c < 0x80) {
    return IsNameStartChar(c) || c == '-' || c == '.' || (c >= '0' && c <= '9');
  }
  return IsNameStartChar(c) || c == 0xB7 || (c >= 0x300 && c <= 0x36F) ||
         (c >= 0x203F && c <= 0x2040);
}

inline constexpr int kUtf8Incomplete = 0;
inline constexpr int kUtf8Invalid = -1;

// Decodes one UTF-8 sequence starting at `p` (whose first byte is >= 0x80)
// from the `size` bytes available. Returns its length and sets `*code_point`;
// kUtf8Invalid for an invalid lead or continuation byte, an overlong form, a
// surrogate or a value past U+10FFFF; kUtf8Incomplete if every available
// byte is a valid prefix but the sequence needs more.
inline int DecodeUtf8(const unsigned char* p, size_t size, uint32_t* code_point) {
  const unsigned char lead = p[0];
  int length;
  uint32_t value;
  unsigned char low = 0x80, high = 0xBF;  // bounds of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // > U+10FFFF
  } else {
    return kUtf8Invalid;
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<size_t>(i) >= size) return kUtf8Incomplete;
    const unsigned char c = p[i];
    if (i == 1 ? (c < low || c > high) : (c < 0x80 || c > 0xBF)) {
      return kUtf8Invalid;
    }
    value = (value << 6) | (c & 0x3F);
  }
  *code_point = value;
  return length;
}

// Appends the UTF-8 encoding of `c` (a valid scalar value) to `out`.
template <typename String>
void AppendUtf8(uint32_t c, String* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace ringlet::xml::internal
