#include "xmpp/xml/limits.h"

#include "gtest/gtest.h"
#include "xmpp/xml/xml_flags.h"

namespace ringlet::xml {
namespace {

TEST(XmlLimitsTest, DefaultsAreValid) { EXPECT_TRUE(XmlLimits().Validate().ok()); }

TEST(XmlLimitsTest, RefusesZeroAndInconsistentValues) {
  XmlLimits limits;
  limits.depth_max = 0;
  EXPECT_FALSE(limits.Validate().ok());
  limits = XmlLimits();
  limits.stanza_bytes_max = 100;
  EXPECT_FALSE(limits.Validate().ok());  // name/value limits exceed it
  limits.name_bytes_max = 50;
  limits.attribute_value_bytes_max = 50;
  EXPECT_TRUE(limits.Validate().ok());
  limits.stanza_bytes_max = kStanzaBytesMaxCeiling + 1;
  EXPECT_FALSE(limits.Validate().ok());
}

TEST(XmlLimitsTest, FlagsDefaultToTheDefaults) {
  absl::StatusOr<XmlLimits> limits = XmlLimitsFromFlags();
  ASSERT_TRUE(limits.ok());
  EXPECT_EQ(limits->stanza_bytes_max, 262144u);
  EXPECT_EQ(limits->depth_max, XmlLimits().depth_max);
}

}  // namespace
}  // namespace ringlet::xml
