#include "xmpp/xml/stream_error.h"

namespace ringlet::xml {

std::string_view StreamErrorName(StreamErrorCondition condition) {
  switch (condition) {
    case StreamErrorCondition::kBadFormat:
      return "bad-format";
    case StreamErrorCondition::kBadNamespacePrefix:
      return "bad-namespace-prefix";
    case StreamErrorCondition::kNotWellFormed:
      return "not-well-formed";
    case StreamErrorCondition::kPolicyViolation:
      return "policy-violation";
    case StreamErrorCondition::kRestrictedXml:
      return "restricted-xml";
    case StreamErrorCondition::kUnsupportedEncoding:
      return "unsupported-encoding";
  }
  return "undefined-condition";
}

}  // namespace ringlet::xml
