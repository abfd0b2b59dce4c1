#include "xmpp/xml/entities.h"

#include <algorithm>
#include <cstdint>

#include "xmpp/xml/internal/chars.h"

namespace ringlet::xml {
namespace {

using internal::AppendUtf8;
using internal::DecodeUtf8;
using internal::IsXmlChar;

// Parses the reference starting at raw[i] == '&'. On success appends its
// expansion to `out` and returns the index just past the ';'.
absl::Status DecodeReference(std::string_view raw, size_t* i, std::string* out) {
  const size_t start = *i + 1;
  const size_t semicolon = raw.find(';', start);
  if (semicolon == std::string_view::npos) {
    return absl::InvalidArgumentError("unterminated reference");
  }
  const std::string_view body = raw.substr(start, semicolon - start);
  *i = semicolon + 1;
  if (body == "lt") return out->push_back('<'), absl::OkStatus();
  if (body == "gt") return out->push_back('>'), absl::OkStatus();
  if (body == "amp") return out->push_back('&'), absl::OkStatus();
  if (body == "apos") return out->push_back('\''), absl::OkStatus();
  if (body == "quot") return out->push_back('"'), absl::OkStatus();
  if (body.size() < 2 || body[0] != '#') {
    return absl::InvalidArgumentError("unknown entity reference");
  }
  const bool hex = body[1] == 'x';
  const std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty()) return absl::InvalidArgumentError("empty character reference");
  uint32_t value = 0;
  for (char c : digits) {
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (hex && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (hex && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return absl::InvalidArgumentError("bad character reference");
    }
    value = value * (hex ? 16 : 10) + digit;
    if (value > 0x10FFFF) return absl::InvalidArgumentError("character reference too large");
  }
  if (!IsXmlChar(value)) {
    return absl::InvalidArgumentError("character reference to a non-XML character");
  }
  AppendUtf8(value, out);
  return absl::OkStatus();
}

absl::Status Decode(std::string_view raw, bool attribute, std::string* out) {
  size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == '&') {
      absl::Status status = DecodeReference(raw, &i, out);
      if (!status.ok()) return status;
    } else if (c == '\r') {
      out->push_back(attribute ? ' ' : '\n');
      ++i;
      if (i < raw.size() && raw[i] == '\n') ++i;
    } else if (attribute && (c == '\n' || c == '\t')) {
      out->push_back(' ');
      ++i;
    } else {
      // Copy the run up to the next byte that needs attention.
      size_t j = i + 1;
      while (j < raw.size() && raw[j] != '&' && raw[j] != '\r' &&
             !(attribute && (raw[j] == '\n' || raw[j] == '\t'))) {
        ++j;
      }
      out->append(raw.data() + i, j - i);
      i = j;
    }
  }
  return absl::OkStatus();
}

// Appends `text` escaped; `attribute` adds quotes and whitespace.
void Escape(std::string_view text, bool attribute, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  out->reserve(out->size() + size);
  size_t run = 0;  // start of the pending run of bytes copied as they are
  size_t i = 0;
  auto flush = [&](size_t end) { out->append(text.data() + run, end - run); };
  while (i < size) {
    const unsigned char c = p[i];
    const char* replacement = nullptr;
    size_t length = 1;
    if (c >= 0x80) {
      uint32_t code_point;
      const int n = DecodeUtf8(p + i, size - i, &code_point);
      if (n > 0 && IsXmlChar(code_point)) {
        i += n;
        continue;
      }
      replacement = "\xEF\xBF\xBD";  // U+FFFD
      length = n > 0 ? n : 1;
    } else if (c == '&') {
      replacement = "&amp;";
    } else if (c == '<') {
      replacement = "&lt;";
    } else if (c == '>') {
      replacement = "&gt;";
    } else if (attribute && c == '\'') {
      replacement = "&apos;";
    } else if (attribute && c == '"') {
      replacement = "&quot;";
    } else if (attribute && c == '\t') {
      replacement = "&#9;";
    } else if (attribute && c == '\n') {
      replacement = "&#10;";
    } else if (c == '\r') {
      replacement = "&#13;";
    } else if (c < 0x20 && c != '\t' && c != '\n') {
      replacement = "\xEF\xBF\xBD";
    } else {
      ++i;
      continue;
    }
    flush(i);
    out->append(replacement);
    i += length;
    run = i;
  }
  flush(size);
}

}  // namespace

absl::Status AppendDecodedText(std::string_view raw, std::string* out) {
  return Decode(raw, /*attribute=*/false, out);
}

void AppendCdataText(std::string_view raw, std::string* out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      out->push_back('\n');
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      out->push_back(raw[i]);
    }
  }
}

absl::Status AppendDecodedAttributeValue(std::string_view raw, std::string* out) {
  return Decode(raw, /*attribute=*/true, out);
}

namespace {

bool DecodedEquals(std::string_view raw, std::string_view expected) {
  std::string decoded;
  if (!AppendDecodedAttributeValue(raw, &decoded).ok()) return false;
  return decoded == expected;
}

}  // namespace

bool AttributeValueEquals(std::string_view raw, std::string_view expected) {
  // Up to the first '&' or '\r', decoding maps byte to byte (tab and newline
  // become a space), so that prefix can be compared in place; only a value
  // with a reference or a carriage return is decoded into a copy. (This
  // runs for every xmlns attribute the tokenizer sees; string_view's
  // find_first_of costs one memchr per byte of the value.)
  const size_t common = std::min(raw.size(), expected.size());
  for (size_t i = 0; i < common; ++i) {
    char c = raw[i];
    if (c == '&' || c == '\r') return DecodedEquals(raw, expected);
    if (c == '\t' || c == '\n') c = ' ';
    if (c != expected[i]) return false;
  }
  if (raw.size() <= expected.size()) return raw.size() == expected.size();
  // Only a reference or "\r\n" can make the longer rest decode shorter.
  const std::string_view rest = raw.substr(common);
  if (std::none_of(rest.begin(), rest.end(), [](char c) { return c == '&' || c == '\r'; })) {
    return false;
  }
  return DecodedEquals(raw, expected);
}

void AppendEscapedText(std::string_view text, std::string* out) {
  Escape(text, /*attribute=*/false, out);
}

void AppendEscapedAttributeValue(std::string_view value, std::string* out) {
  Escape(value, /*attribute=*/true, out);
}

}  // namespace ringlet::xml
