#include "xmpp/im/disco.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "xmpp/im/internal/stanza_fixture.h"

namespace ringlet::im {
namespace {

using DiscoRequestTest = internal::StanzaFixture;

TEST_F(DiscoRequestTest, ParsesDiscoRequests) {
  auto info = ParseDiscoRequest(
      Parse("<iq type='get' id='1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->kind, DiscoKind::kInfo);
  EXPECT_EQ(info->node, "");
  auto items = ParseDiscoRequest(Parse(
      "<iq type='get' id='1'><query xmlns='http://jabber.org/protocol/disco#items' "
      "node='n&amp;1'/></iq>"));
  ASSERT_TRUE(items);
  EXPECT_EQ(items->kind, DiscoKind::kItems);
  EXPECT_EQ(items->node, "n&1");
  EXPECT_FALSE(ParseDiscoRequest(Parse(
      "<iq type='set' id='1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")));
  EXPECT_FALSE(ParseDiscoRequest(Parse("<iq type='get' id='1'><query xmlns='x'/></iq>")));
  EXPECT_FALSE(ParseDiscoRequest(
      Parse("<message><query xmlns='http://jabber.org/protocol/disco#info'/></message>")));
}

TEST(DiscoTest, ServerInfo) {
  const std::vector<std::string> features = {"urn:xmpp:ping", "jabber:iq:version"};
  EXPECT_EQ(BuildServerDiscoInfo("d1", "example.com", "juliet@example.com/balcony", features),
            "<iq type='result' id='d1' from='example.com' to='juliet@example.com/balcony'>"
            "<query xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity category='server' type='im' name='ringlet'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/>"
            "<feature var='urn:xmpp:ping'/><feature var='jabber:iq:version'/></query></iq>");
}

TEST(DiscoTest, DiscoInfoFeatureIsNotRepeated) {
  const std::vector<std::string> features = {std::string(kNsDiscoInfo)};
  const DiscoIdentity identity{.category = "c", .type = "t"};
  EXPECT_EQ(BuildDiscoInfoResult("1", "", "", "node<", {&identity, 1}, features),
            "<iq type='result' id='1'><query xmlns='http://jabber.org/protocol/disco#info' "
            "node='node&lt;'><identity category='c' type='t'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/></query></iq>");
}

TEST(DiscoTest, AccountInfoOnlyForAllowedRequesters) {
  const std::vector<std::string> features;
  EXPECT_EQ(BuildAccountDiscoInfo("a1", "romeo@example.net", "juliet@example.com/b", false,
                                  features),
            std::nullopt);
  EXPECT_EQ(BuildAccountDiscoInfo("a1", "romeo@example.net", "juliet@example.com/b", true,
                                  features),
            "<iq type='result' id='a1' from='romeo@example.net' to='juliet@example.com/b'>"
            "<query xmlns='http://jabber.org/protocol/disco#info'>"
            "<identity category='account' type='registered'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/></query></iq>");
}

TEST(DiscoTest, Items) {
  const std::vector<DiscoItem> items = {{.jid = "conference.example.com", .name = "Rooms"},
                                        {.jid = "example.com", .node = "n"}};
  EXPECT_EQ(BuildDiscoItemsResult("i1", "example.com", "", "", items),
            "<iq type='result' id='i1' from='example.com'>"
            "<query xmlns='http://jabber.org/protocol/disco#items'>"
            "<item jid='conference.example.com' name='Rooms'/>"
            "<item jid='example.com' node='n'/></query></iq>");
  EXPECT_EQ(BuildDiscoItemsResult("i2", "romeo@example.net", "j@e/b", "", {}),
            "<iq type='result' id='i2' from='romeo@example.net' to='j@e/b'>"
            "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
}

}  // namespace
}  // namespace ringlet::im
