#include "xmpp/xml/limits.h"

#include "absl/strings/str_cat.h"

namespace ringlet::xml {

absl::Status XmlLimits::Validate() const {
  auto nonzero = [](size_t value, const char* name) -> absl::Status {
    if (value == 0) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be > 0"));
    }
    return absl::OkStatus();
  };
  for (absl::Status s :
       {nonzero(stanza_bytes_max, "xml stanza_bytes_max"),
        nonzero(depth_max, "xml depth_max"),
        nonzero(attributes_max, "xml attributes_max"),
        nonzero(name_bytes_max, "xml name_bytes_max"),
        nonzero(attribute_value_bytes_max, "xml attribute_value_bytes_max")}) {
    if (!s.ok()) return s;
  }
  if (stanza_bytes_max > kStanzaBytesMaxCeiling) {
    return absl::InvalidArgumentError(
        absl::StrCat("xml stanza_bytes_max ", stanza_bytes_max, " exceeds ",
                     kStanzaBytesMaxCeiling));
  }
  if (depth_max > kDepthMaxCeiling) {
    return absl::InvalidArgumentError(absl::StrCat(
        "xml depth_max ", depth_max, " exceeds ", kDepthMaxCeiling));
  }
  // A name or value longer than a whole stanza could never be reached: such
  // a setting is a mistake, not a policy.
  if (name_bytes_max > stanza_bytes_max) {
    return absl::InvalidArgumentError(
        "xml name_bytes_max must be <= stanza_bytes_max");
  }
  if (attribute_value_bytes_max > stanza_bytes_max) {
    return absl::InvalidArgumentError(
        "xml attribute_value_bytes_max must be <= stanza_bytes_max");
  }
  return absl::OkStatus();
}

}  // namespace ringlet::xml
