#include "xmpp/im/ping.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "xmpp/im/internal/stanza_fixture.h"

namespace ringlet::im {
namespace {

using PingTest = internal::StanzaFixture;

TEST_F(PingTest, Ping) {
  EXPECT_TRUE(IsPingRequest(Parse("<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>")));
  EXPECT_FALSE(IsPingRequest(Parse("<iq type='set' id='p'><ping xmlns='urn:xmpp:ping'/></iq>")));
  EXPECT_FALSE(IsPingRequest(Parse("<iq type='get' id='p'><ping xmlns='urn:other'/></iq>")));
  EXPECT_EQ(BuildPingResult("p", "example.com", "j@e/b"),
            "<iq type='result' id='p' from='example.com' to='j@e/b'/>");
  EXPECT_EQ(BuildPingResult("a'b", "", ""), "<iq type='result' id='a&apos;b'/>");
}

}  // namespace
}  // namespace ringlet::im
