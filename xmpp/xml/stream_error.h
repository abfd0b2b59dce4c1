#pragma once

// The RFC 6120 §4.9.3 stream error conditions that the XML layer produces,
// and their element names. The stream layer (xmpp/c2s, xmpp/s2s) adds the
// rest of the list as it needs them.

#include <string_view>

namespace ringlet::xml {

enum class StreamErrorCondition {
  kBadFormat,           // well-formed XML that XMPP cannot process
  kBadNamespacePrefix,  // a prefix with no namespace declaration in scope
  kNotWellFormed,       // not XML 1.0 + Namespaces, or not valid UTF-8
  kPolicyViolation,     // over a configured limit (xmpp/xml/limits.h)
  kRestrictedXml,       // comment, PI, DTD or entity reference (RFC 6120 §11.1)
  kUnsupportedEncoding, // an XML declaration naming anything but UTF-8
};

// Returns the condition's element name, e.g. "not-well-formed".
std::string_view StreamErrorName(StreamErrorCondition condition);

}  // namespace ringlet::xml
