#include "xmpp/xml/serializer.h"

#include "gtest/gtest.h"
#include "xmpp/xml/stanza.h"
#include "xmpp/xml/test_util.h"

namespace ringlet::xml {
namespace {

TEST(XmlWriterTest, BuildsAndEscapes) {
  std::string out;
  XmlWriter w(&out);
  w.Open("message").Attribute("to", "a@b/it's").Attribute("type", "chat");
  w.Open("body").Text("1 < 2 & \"ok\"").Close();
  w.Open("active").Attribute("xmlns", "http://jabber.org/protocol/chatstates").Close();
  w.Close();
  EXPECT_EQ(out,
            "<message to='a@b/it&apos;s' type='chat'><body>1 &lt; 2 &amp; \"ok\"</body>"
            "<active xmlns='http://jabber.org/protocol/chatstates'/></message>");
  EXPECT_EQ(w.depth(), 0u);
}

TEST(XmlWriterTest, StreamHeaderStaysOpen) {
  std::string out;
  XmlWriter w(&out);
  w.Open("stream:stream").Attribute("xmlns", "jabber:client").EndStartTag();
  EXPECT_EQ(out, "<stream:stream xmlns='jabber:client'>");
}

TEST(XmlWriterTest, OutputRoundTripsThroughTokenizerAndStanza) {
  const std::string hostile = "]]> <!-- &bogus; \x01\xC0\xAF \r\n\t'\"";
  std::string out = "<s>";
  XmlWriter w(&out);
  w.Open("m").Attribute("a", hostile).Text(hostile).Close();
  const TokenizedStream s = Tokenize(out);
  ASSERT_TRUE(s.ok) << out;
  ASSERT_EQ(s.elements.size(), 1u);
  StanzaParser parser;
  const ElementView m = parser.Parse(s.elements[0], s.namespaces);
  const std::string expected = "]]> <!-- &bogus; \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \r\n\t'\"";
  EXPECT_EQ(m.Attribute("a"), expected);
  EXPECT_EQ(m.Text(), expected);
}

TEST(XmlWriterTest, QualifiedNameCheck) {
  EXPECT_TRUE(IsAsciiQualifiedName("stream:features"));
  EXPECT_TRUE(IsAsciiQualifiedName("a-b.c_d1"));
  EXPECT_FALSE(IsAsciiQualifiedName(""));
  EXPECT_FALSE(IsAsciiQualifiedName("a:"));
  EXPECT_FALSE(IsAsciiQualifiedName(":a"));
  EXPECT_FALSE(IsAsciiQualifiedName("a:b:c"));
  EXPECT_FALSE(IsAsciiQualifiedName("1a"));
  EXPECT_FALSE(IsAsciiQualifiedName("a b"));
}

}  // namespace
}  // namespace ringlet::xml
