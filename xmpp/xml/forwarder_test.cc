#include "xmpp/xml/forwarder.h"

#include "gtest/gtest.h"
#include "xmpp/xml/stanza.h"
#include "xmpp/xml/test_util.h"

namespace ringlet::xml {
namespace {

TEST(ForwarderTest, StampsFromAndCopiesTheRest) {
  const std::string stanza =
      "<message to='romeo@example.net' from='spoofed@evil' type='chat'\n id=\"x\">"
      "<body>from='not an attribute'</body></message>";
  std::string out;
  ASSERT_TRUE(AppendStampedStanza(stanza, {.from = "juliet@example.com/balcony"}, &out));
  EXPECT_EQ(out,
            "<message from='juliet@example.com/balcony' to='romeo@example.net' "
            "type='chat'\n id=\"x\"><body>from='not an attribute'</body></message>");
}

TEST(ForwarderTest, StampsBothAndEscapes) {
  std::string out = "prefix";
  ASSERT_TRUE(AppendStampedStanza("<presence/>", {.from = "a'b@c", .to = "d@e"}, &out));
  EXPECT_EQ(out, "prefix<presence from='a&apos;b@c' to='d@e'/>");
  out.clear();
  ASSERT_TRUE(AppendStampedStanza("<iq to=\"x\"  from=\"y\" id='1'></iq>", {.to = "z"}, &out));
  EXPECT_EQ(out, "<iq to='z'  from=\"y\" id='1'></iq>");
}

TEST(ForwarderTest, KeepsAsSentWithoutStamp) {
  const std::string stanza = "<message xmlns:x='u' x:from='k'><x:a/></message>";
  std::string out;
  ASSERT_TRUE(AppendStampedStanza(stanza, {}, &out));
  EXPECT_EQ(out, stanza);
  out.clear();
  // x:from is another attribute than from.
  ASSERT_TRUE(AppendStampedStanza(stanza, {.from = "f"}, &out));
  EXPECT_EQ(out, "<message from='f' xmlns:x='u' x:from='k'><x:a/></message>");
}

TEST(ForwarderTest, OutputIsAValidStanza) {
  const TokenizedStream in = Tokenize(
      "<s xmlns='jabber:client'><message from='x' to='y'><body>hi</body></message>");
  ASSERT_EQ(in.elements.size(), 1u);
  std::string out = "<s xmlns='jabber:server'>";
  ASSERT_TRUE(AppendStampedStanza(in.elements[0], {.from = "a@b/c"}, &out));
  const TokenizedStream s = Tokenize(out);
  ASSERT_TRUE(s.ok);
  ASSERT_EQ(s.elements.size(), 1u);
  StanzaParser parser;
  const ElementView m = parser.Parse(s.elements[0], s.namespaces);
  EXPECT_TRUE(m.Is("message", kNsServer));
  EXPECT_EQ(m.Attribute("from"), "a@b/c");
  EXPECT_EQ(m.Attribute("to"), "y");
}

TEST(ForwarderTest, DeclaresPrefixesOfTheSourceStream) {
  const TokenizedStream in = Tokenize(
      "<s xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:x='urn:x'>"
      "<db:result xmlns:x='urn:x2' from='a' to='b'><x:k/></db:result>");
  ASSERT_EQ(in.elements.size(), 1u);
  std::string out = "<s xmlns='jabber:server'>";
  ASSERT_TRUE(AppendStampedStanza(in.elements[0],
                                  {.to = "c", .source_namespaces = &in.namespaces}, &out));
  EXPECT_EQ(out,
            "<s xmlns='jabber:server'><db:result to='c' xmlns:db='jabber:server:dialback' "
            "xmlns:x='urn:x2' from='a'><x:k/></db:result>");
  const TokenizedStream s = Tokenize(out);
  ASSERT_TRUE(s.ok);
  StanzaParser parser;
  const ElementView result = parser.Parse(s.elements[0], s.namespaces);
  EXPECT_TRUE(result.Is("result", kNsDialback));
  EXPECT_TRUE(result.FirstChild().Is("k", "urn:x2"));
}

TEST(ForwarderTest, RefusesWhatIsNotAnElement) {
  std::string out;
  EXPECT_FALSE(AppendStampedStanza("", {.from = "a"}, &out));
  EXPECT_FALSE(AppendStampedStanza("text", {.from = "a"}, &out));
  EXPECT_FALSE(AppendStampedStanza("<a x='1", {.from = "a"}, &out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace ringlet::xml
