#pragma once

// XmlLimits: the bounds the XML tokenizer enforces on what a peer sends.
//
// A plain value type, so that tests build tokenizers with exactly the limits
// they need; the process-wide values come from flags (xmpp/xml/xml_flags.h).
// Every limit that a peer exceeds closes its stream with
// <policy-violation/>. With these bounds, one tokenizer never holds more than
// about `stanza_bytes_max` + `depth_max` * `name_bytes_max` bytes, whatever
// it is fed (see XmlTokenizer).

#include <cstddef>

#include "absl/status/status.h"

namespace ringlet::xml {

struct XmlLimits {
  // Bytes of one top-level element (a stanza or negotiation element) from its
  // '<' to its closing '>', and of the stream header. ejabberd and Prosody
  // use 256 KiB for client streams too.
  size_t stanza_bytes_max = 262144;
  // Nesting depth inside a stanza; the stanza itself is depth 1 (the stream
  // root does not count). A MAM result with a forwarded message needs ~6.
  size_t depth_max = 32;
  // Attributes on one element, namespace declarations included.
  size_t attributes_max = 64;
  // Bytes of one qualified name (prefix:local) of an element or attribute.
  size_t name_bytes_max = 256;
  // Bytes of one attribute value, as sent (before entity decoding).
  size_t attribute_value_bytes_max = 16384;

  // Returns InvalidArgument naming the offending field if a value is zero,
  // or if a smaller limit exceeds the stanza limit that contains it.
  absl::Status Validate() const;
};

// Bounds on the limits themselves; Validate() refuses values past them.
inline constexpr size_t kStanzaBytesMaxCeiling = size_t{64} << 20;  // 64 MiB
inline constexpr size_t kDepthMaxCeiling = 1024;

}  // namespace ringlet::xml
