#include "xmpp/xml/entities.h"

#include "gtest/gtest.h"

namespace ringlet::xml {
namespace {

std::string Text(std::string_view raw) {
  std::string out;
  EXPECT_TRUE(AppendDecodedText(raw, &out).ok()) << raw;
  return out;
}

std::string Attr(std::string_view raw) {
  std::string out;
  EXPECT_TRUE(AppendDecodedAttributeValue(raw, &out).ok()) << raw;
  return out;
}

TEST(EntitiesTest, DecodesPredefinedAndCharacterReferences) {
  EXPECT_EQ(Text("a &lt;b&gt; &amp; &apos;&quot;"), "a <b> & '\"");
  EXPECT_EQ(Text("&#65;&#x42;&#x1F600;"), "AB\xF0\x9F\x98\x80");
  EXPECT_EQ(Text("&#0000065;"), "A");
  EXPECT_EQ(Text("line\r\nnext\rlast"), "line\nnext\nlast");
}

TEST(EntitiesTest, NormalizesAttributeWhitespace) {
  EXPECT_EQ(Attr("a\tb\nc\r\nd"), "a b c d");
  EXPECT_EQ(Attr("a&#9;b&#10;c"), "a\tb\nc");  // references are not normalized
}

TEST(EntitiesTest, RefusesBadReferences) {
  std::string out;
  for (const char* bad : {"&foo;", "&#0;", "&#xD800;", "&#x110000;", "&amp", "&#;",
                          "&#x;", "&#12a;", "&#99999999999;"}) {
    EXPECT_FALSE(AppendDecodedText(bad, &out).ok()) << bad;
  }
}

TEST(EntitiesTest, AttributeValueEquals) {
  EXPECT_TRUE(AttributeValueEquals("jabber:client", "jabber:client"));
  EXPECT_TRUE(AttributeValueEquals("a&amp;b", "a&b"));
  EXPECT_FALSE(AttributeValueEquals("a&amp;b", "a&amp;b"));
  EXPECT_FALSE(AttributeValueEquals("&bad;", "&bad;"));
  EXPECT_TRUE(AttributeValueEquals("a\tb\nc", "a b c"));
  EXPECT_TRUE(AttributeValueEquals("a\r\nb", "a b"));
  EXPECT_TRUE(AttributeValueEquals("urn:x&#58;y", "urn:x:y"));
  EXPECT_TRUE(AttributeValueEquals("", ""));
  EXPECT_FALSE(AttributeValueEquals("a\tb", "a\tb"));
  EXPECT_FALSE(AttributeValueEquals("jabber:clien", "jabber:client"));
  EXPECT_FALSE(AttributeValueEquals("jabber:clientx", "jabber:client"));
  EXPECT_FALSE(AttributeValueEquals("jabber:client&amp;", "jabber:client"));
  EXPECT_FALSE(AttributeValueEquals("jabber:server", "jabber:client"));
}

TEST(EntitiesTest, EscapesTextAndAttributes) {
  std::string out;
  AppendEscapedText("a<b>&c 'q\" \r", &out);
  EXPECT_EQ(out, "a&lt;b&gt;&amp;c 'q\" &#13;");
  out.clear();
  AppendEscapedAttributeValue("a'b\"c\td\n<&>", &out);
  EXPECT_EQ(out, "a&apos;b&quot;c&#9;d&#10;&lt;&amp;&gt;");
}

TEST(EntitiesTest, EscapingReplacesWhatXmlCannotCarry) {
  std::string out;
  // Control character, invalid UTF-8, surrogate, U+FFFE; valid multibyte kept.
  AppendEscapedText("x\x01y\xC0\x80z\xED\xA0\x80w\xEF\xBF\xBE\xC3\xA9", &out);
  EXPECT_EQ(out,
            "x\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
            "w\xEF\xBF\xBD\xC3\xA9");
}

TEST(EntitiesTest, EscapeThenDecodeRoundTrips) {
  const std::string original = "<message> & 'quotes' \"too\"\ttab\nnl \xE2\x82\xAC";
  std::string escaped, decoded;
  AppendEscapedAttributeValue(original, &escaped);
  ASSERT_TRUE(AppendDecodedAttributeValue(escaped, &decoded).ok());
  EXPECT_EQ(decoded, original);
  escaped.clear();
  decoded.clear();
  AppendEscapedText(original, &escaped);
  ASSERT_TRUE(AppendDecodedText(escaped, &decoded).ok());
  EXPECT_EQ(decoded, original);
}

}  // namespace
}  // namespace ringlet::xml
