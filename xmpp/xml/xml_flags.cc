#include "xmpp/xml/xml_flags.h"

#include "absl/flags/flag.h"
#include "core/status_macros.h"

ABSL_FLAG(size_t, xml_stanza_bytes_max, ringlet::xml::XmlLimits().stanza_bytes_max,
          "Largest top-level XML element (stanza) or stream header a peer may "
          "send, in bytes; more closes the stream with <policy-violation/>.");
ABSL_FLAG(size_t, xml_depth_max, ringlet::xml::XmlLimits().depth_max,
          "Deepest element nesting inside one stanza (the stanza is depth 1).");
ABSL_FLAG(size_t, xml_attributes_max, ringlet::xml::XmlLimits().attributes_max,
          "Most attributes (namespace declarations included) on one element.");
ABSL_FLAG(size_t, xml_name_bytes_max, ringlet::xml::XmlLimits().name_bytes_max,
          "Longest element or attribute name (prefix:local), in bytes.");
ABSL_FLAG(size_t, xml_attribute_value_bytes_max,
          ringlet::xml::XmlLimits().attribute_value_bytes_max,
          "Longest attribute value as sent (before entity decoding), in bytes.");

namespace ringlet::xml {

absl::StatusOr<XmlLimits> XmlLimitsFromFlags() {
  XmlLimits limits;
  limits.stanza_bytes_max = absl::GetFlag(FLAGS_xml_stanza_bytes_max);
  limits.depth_max = absl::GetFlag(FLAGS_xml_depth_max);
  limits.attributes_max = absl::GetFlag(FLAGS_xml_attributes_max);
  limits.name_bytes_max = absl::GetFlag(FLAGS_xml_name_bytes_max);
  limits.attribute_value_bytes_max =
      absl::GetFlag(FLAGS_xml_attribute_value_bytes_max);
  RETURN_IF_ERROR(limits.Validate());
  return limits;
}

}  // namespace ringlet::xml
