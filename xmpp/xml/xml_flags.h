#pragma once

// Command-line flags for the XML limits (see xmpp/xml/limits.h):
//   --xml_stanza_bytes_max, --xml_depth_max, --xml_attributes_max,
//   --xml_name_bytes_max, --xml_attribute_value_bytes_max.
// Read once at start-up; the server refuses to start if
// XmlLimitsFromFlags() fails.

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "xmpp/xml/limits.h"

ABSL_DECLARE_FLAG(size_t, xml_stanza_bytes_max);
ABSL_DECLARE_FLAG(size_t, xml_depth_max);
ABSL_DECLARE_FLAG(size_t, xml_attributes_max);
ABSL_DECLARE_FLAG(size_t, xml_name_bytes_max);
ABSL_DECLARE_FLAG(size_t, xml_attribute_value_bytes_max);

namespace ringlet::xml {

// Returns the limits set by the flags, or InvalidArgument if they are not
// consistent (XmlLimits::Validate()).
absl::StatusOr<XmlLimits> XmlLimitsFromFlags();

}  // namespace ringlet::xml
