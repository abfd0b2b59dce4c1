#pragma once

// Jid: an XMPP address (RFC 7622), localpart@domainpart/resourcepart,
// parsed, checked and put in canonical form.
//
// What is applied (and what is not) of RFC 7622 / PRECIS:
//   - Each part is valid UTF-8 with no control characters, at most 1023
//     bytes; localpart and resourcepart, when their separator is present,
//     are not empty; the domainpart is never empty.
//   - Localpart (UsernameCaseMapped): ASCII letters are folded to lower
//     case; the characters RFC 7622 §3.3.1 forbids (" & ' / : < > @) and
//     all whitespace are refused. NOT applied: Unicode case folding, width
//     mapping and NFC normalization of non-ASCII letters (they are kept as
//     sent, so two spellings of one non-ASCII name are different JIDs), and
//     the PRECIS IdentifierClass check of non-ASCII code points.
//   - Domainpart: one trailing dot is removed; ASCII letters are folded to
//     lower case; an IPv6 literal in brackets is accepted as is; spaces,
//     '@', '/' and controls are refused. NOT applied: IDNA2008 (U-label to
//     A-label conversion and its checks) for non-ASCII domains, which are
//     kept as sent.
//   - Resourcepart (OpaqueString): kept exactly as sent (case preserved,
//     spaces allowed); controls refused. NOT applied: NFC normalization
//     and mapping of non-ASCII spaces.
//
// A value type; cheap to copy for routing tables. Parsed JIDs compare
// equal exactly when their canonical forms are equal.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace ringlet {

class Jid {
 public:
  static constexpr size_t kPartBytesMax = 1023;

  // Parses and canonicalizes `text`; InvalidArgument says what is wrong.
  static absl::StatusOr<Jid> Parse(std::string_view text);

  Jid() = default;

  const std::string& local() const { return local_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }
  bool is_bare() const { return resource_.empty(); }
  bool is_domain() const { return local_.empty() && resource_.empty(); }

  // The JID without its resource.
  Jid Bare() const;
  // A copy with `resource` as its resource (checked like Parse()).
  absl::StatusOr<Jid> WithResource(std::string_view resource) const;
  // The canonical text: [local@]domain[/resource].
  std::string ToString() const;

  friend bool operator==(const Jid& a, const Jid& b) {
    return a.local_ == b.local_ && a.domain_ == b.domain_ && a.resource_ == b.resource_;
  }
  friend bool operator!=(const Jid& a, const Jid& b) { return !(a == b); }
  template <typename H>
  friend H AbslHashValue(H h, const Jid& jid) {
    return H::combine(std::move(h), jid.local_, jid.domain_, jid.resource_);
  }

 private:
  std::string local_;
  std::string domain_;
  std::string resource_;
};

}  // namespace ringlet
