#include "xmpp/jid/jid.h"

#include "xmpp/xml/internal/chars.h"

namespace ringlet {
namespace {

using xml::internal::DecodeUtf8;

// Checks that `part` is valid UTF-8 without controls or code points XML
// cannot carry, and calls refuse(c) for each ASCII byte c.
template <typename Refuse>
absl::Status CheckPart(std::string_view part, const char* what, Refuse refuse) {
  if (part.size() > Jid::kPartBytesMax) {
    return absl::InvalidArgumentError(std::string(what) + " longer than 1023 bytes");
  }
  const auto* p = reinterpret_cast<const unsigned char*>(part.data());
  for (size_t i = 0; i < part.size();) {
    if (p[i] < 0x80) {
      if (p[i] < 0x20 || p[i] == 0x7F || refuse(p[i])) {
        return absl::InvalidArgumentError(std::string("character not allowed in ") + what);
      }
      ++i;
      continue;
    }
    uint32_t code_point;
    const int n = DecodeUtf8(p + i, part.size() - i, &code_point);
    if (n <= 0 || !xml::internal::IsXmlChar(code_point) ||
        (code_point >= 0x80 && code_point <= 0x9F)) {
      return absl::InvalidArgumentError(std::string("bad UTF-8 in ") + what);
    }
    i += n;
  }
  return absl::OkStatus();
}

void LowerAscii(std::string* s) {
  for (char& c : *s) {
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
  }
}

absl::Status CheckLocal(std::string_view local) {
  return CheckPart(local, "localpart", [](unsigned char c) {
    return c == ' ' || c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' ||
           c == '<' || c == '>' || c == '@';
  });
}

absl::Status CheckDomain(std::string_view domain) {
  if (domain.empty()) return absl::InvalidArgumentError("empty domainpart");
  if (domain.front() == '[') {
    // IPv6 literal: hex digits, ':' and '.', in brackets.
    if (domain.back() != ']' || domain.size() < 4 ||
        domain.substr(1, domain.size() - 2).find_first_not_of("0123456789abcdefABCDEF:.") !=
            std::string_view::npos) {
      return absl::InvalidArgumentError("bad IPv6 literal domainpart");
    }
    return absl::OkStatus();
  }
  if (domain.front() == '.' || domain.back() == '.') {
    return absl::InvalidArgumentError("empty DNS label");
  }
  if (domain.find("..") != std::string_view::npos) {
    return absl::InvalidArgumentError("empty DNS label");
  }
  return CheckPart(domain, "domainpart", [](unsigned char c) {
    return c == ' ' || c == '@' || c == '/' || c == '[' || c == ']' || c == '"' ||
           c == '<' || c == '>' || c == '\'' || c == '&' || c == '\\';
  });
}

absl::Status CheckResource(std::string_view resource) {
  if (resource.empty()) return absl::InvalidArgumentError("empty resourcepart");
  return CheckPart(resource, "resourcepart", [](unsigned char) { return false; });
}

}  // namespace

absl::StatusOr<Jid> Jid::Parse(std::string_view text) {
  Jid jid;
  std::string_view rest = text;
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view resource = rest.substr(slash + 1);
    if (absl::Status s = CheckResource(resource); !s.ok()) return s;
    jid.resource_ = std::string(resource);
    rest = rest.substr(0, slash);
  }
  const size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    const std::string_view local = rest.substr(0, at);
    if (local.empty()) return absl::InvalidArgumentError("empty localpart");
    if (absl::Status s = CheckLocal(local); !s.ok()) return s;
    jid.local_ = std::string(local);
    LowerAscii(&jid.local_);
    rest = rest.substr(at + 1);
  }
  if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
  if (absl::Status s = CheckDomain(rest); !s.ok()) return s;
  jid.domain_ = std::string(rest);
  LowerAscii(&jid.domain_);
  return jid;
}

Jid Jid::Bare() const {
  Jid bare = *this;
  bare.resource_.clear();
  return bare;
}

absl::StatusOr<Jid> Jid::WithResource(std::string_view resource) const {
  if (absl::Status s = CheckResource(resource); !s.ok()) return s;
  Jid full = *this;
  full.resource_ = std::string(resource);
  return full;
}

std::string Jid::ToString() const {
  std::string text;
  text.reserve(local_.size() + domain_.size() + resource_.size() + 2);
  if (!local_.empty()) text.append(local_).push_back('@');
  text.append(domain_);
  if (!resource_.empty()) text.append("/").append(resource_);
  return text;
}

}  // namespace ringlet
