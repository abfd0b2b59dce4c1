#include "xmpp/xml/stanza.h"

#include "gtest/gtest.h"
#include "xmpp/xml/test_util.h"

namespace ringlet::xml {
namespace {

constexpr char kClient[] =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

TEST(StanzaTest, MessageAccessors) {
  // The element is followed by more bytes: Parse must stop at its end.
  const TokenizedStream s = Tokenize(std::string(kClient) +
                                     "<message to='romeo@example.net' type='chat' "
                                     "xml:lang='en' id='a&amp;b'><body>Hi &lt;3 &#x1F600;"
                                     "<![CDATA[ <raw> ]]></body><thread>t1</thread></message>");
  ASSERT_TRUE(s.ok);
  ASSERT_EQ(s.elements.size(), 1u);
  const std::string bytes = s.elements[0] + "<presence/>";
  StanzaParser parser;
  const ElementView message =
      parser.Parse(std::string_view(bytes).substr(0, s.elements[0].size()), s.namespaces);
  EXPECT_EQ(message.qualified_name(), "message");
  EXPECT_EQ(message.namespace_uri(), kNsClient);
  EXPECT_TRUE(message.Is("message", kNsClient));
  EXPECT_FALSE(message.Is("message", kNsServer));
  EXPECT_EQ(message.Attribute("to"), "romeo@example.net");
  EXPECT_EQ(message.RawAttribute("id"), "a&amp;b");
  EXPECT_EQ(message.Attribute("id"), "a&b");
  EXPECT_EQ(message.Attribute("from"), std::nullopt);
  EXPECT_EQ(message.ChildText("body", kNsClient), "Hi <3 \xF0\x9F\x98\x80 <raw> ");
  EXPECT_EQ(message.ChildText("thread", kNsClient), "t1");
  EXPECT_EQ(message.ChildText("subject", kNsClient), std::nullopt);
  EXPECT_EQ(message.Child("body", kNsClient).Lang(), "en");
  int attributes = 0;
  message.ForEachAttribute([&](std::string_view, std::string_view) { ++attributes; });
  EXPECT_EQ(attributes, 4);
}

TEST(StanzaTest, NamespacesAreInheritedAndOverridden) {
  const TokenizedStream s = Tokenize(
      std::string(kClient) +
      "<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='v2'>"
      "<item jid='a@b' subscription='both'><group>Friends</group></item>"
      "<item jid='c@d' name='C &amp; D'/></query></iq>"
      "<message><result xmlns='urn:xmpp:mam:2' id='x'><forwarded xmlns='urn:xmpp:forward:0'>"
      "<delay xmlns='urn:xmpp:delay' stamp='2020-01-01T00:00:00Z'/>"
      "<message xmlns='jabber:client' from='w@s'><body>old</body></message>"
      "</forwarded></result></message>");
  ASSERT_TRUE(s.ok);
  ASSERT_EQ(s.elements.size(), 2u);
  StanzaParser parser;
  ElementView iq = parser.Parse(s.elements[0], s.namespaces);
  ElementView query = iq.Child("query", "jabber:iq:roster");
  ASSERT_TRUE(query);
  EXPECT_EQ(query.Attribute("ver"), "v2");
  ElementView item = query.Child("item", "jabber:iq:roster");
  ASSERT_TRUE(item);
  EXPECT_EQ(item.Attribute("jid"), "a@b");
  EXPECT_EQ(item.ChildText("group", "jabber:iq:roster"), "Friends");
  item = item.NextSibling("item", "jabber:iq:roster");
  ASSERT_TRUE(item);
  EXPECT_EQ(item.Attribute("name"), "C & D");
  EXPECT_FALSE(item.NextSibling());
  EXPECT_FALSE(iq.Child("query", kNsClient));

  ElementView message = parser.Parse(s.elements[1], s.namespaces);
  ElementView inner = message.Child("result", "urn:xmpp:mam:2")
                          .Child("forwarded", "urn:xmpp:forward:0")
                          .Child("message", kNsClient);
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner.Attribute("from"), "w@s");
  EXPECT_EQ(inner.ChildText("body", kNsClient), "old");
  EXPECT_EQ(inner.Parent().name(), "forwarded");
}

TEST(StanzaTest, PrefixesFromTheStreamAndTheStanza) {
  const TokenizedStream s = Tokenize(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
      "xmlns:db='jabber:server:dialback'>"
      "<db:result from='a' to='b'>key</db:result>"
      "<x:a xmlns:x='urn:&amp;x'><x:b/><c/></x:a>");
  ASSERT_TRUE(s.ok);
  ASSERT_EQ(s.elements.size(), 2u);
  StanzaParser parser;
  ElementView result = parser.Parse(s.elements[0], s.namespaces);
  EXPECT_TRUE(result.Is("result", kNsDialback));
  EXPECT_EQ(result.prefix(), "db");
  EXPECT_EQ(result.name(), "result");
  EXPECT_EQ(result.Text(), "key");
  ElementView a = parser.Parse(s.elements[1], s.namespaces);
  EXPECT_TRUE(a.Is("a", "urn:&x"));
  EXPECT_EQ(a.namespace_uri(), "urn:&x");
  EXPECT_TRUE(a.FirstChild().Is("b", "urn:&x"));
  EXPECT_TRUE(a.FirstChild().NextSibling().Is("c", kNsServer));
}

TEST(StanzaTest, ParserIsReusable) {
  const TokenizedStream s = Tokenize(std::string(kClient) + "<a/><b>x</b><c><d/></c>");
  StanzaParser parser;
  for (int round = 0; round < 3; ++round) {
    for (const std::string& element : s.elements) {
      EXPECT_EQ(std::string(parser.Parse(element, s.namespaces).name()),
                element.substr(1, 1));
    }
  }
}

}  // namespace
}  // namespace ringlet::xml
