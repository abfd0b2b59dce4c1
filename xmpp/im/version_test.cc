#include "xmpp/im/version.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "xmpp/im/internal/stanza_fixture.h"

namespace ringlet::im {
namespace {

using VersionTest = internal::StanzaFixture;

TEST_F(VersionTest, Version) {
  EXPECT_TRUE(IsVersionRequest(
      Parse("<iq type='get' id='v'><query xmlns='jabber:iq:version'/></iq>")));
  EXPECT_FALSE(IsVersionRequest(
      Parse("<iq type='result' id='v'><query xmlns='jabber:iq:version'/></iq>")));
  EXPECT_FALSE(IsVersionRequest(Parse("<iq type='get' id='v'><query xmlns='x'/></iq>")));
  EXPECT_EQ(BuildVersionResult("v", "example.com", "j@e/b", {.version = "0.1"}),
            "<iq type='result' id='v' from='example.com' to='j@e/b'>"
            "<query xmlns='jabber:iq:version'><name>ringlet</name><version>0.1</version>"
            "</query></iq>");
  EXPECT_EQ(BuildVersionResult("v", "example.com", "", {.version = "0.1", .os = "Linux"}),
            "<iq type='result' id='v' from='example.com'>"
            "<query xmlns='jabber:iq:version'><name>ringlet</name><version>0.1</version>"
            "<os>Linux</os></query></iq>");
}

}  // namespace
}  // namespace ringlet::im
