#include "xmpp/sasl/opaque_string.h"

#include "gtest/gtest.h"

namespace ringlet::sasl {
namespace {

std::string Prepared(std::string_view password) {
  auto prepared = PrepareOpaqueString(password);
  EXPECT_TRUE(prepared.ok()) << prepared.status();
  return prepared.ok() ? *prepared : "";
}

TEST(OpaqueString, AsciiIsUnchanged) {
  EXPECT_EQ(Prepared("correct horse battery staple"), "correct horse battery staple");
  EXPECT_EQ(Prepared("p@ss,w=rd\"'~"), "p@ss,w=rd\"'~");
}

// RFC 8265 §4.2: non-ASCII spaces become U+0020, then NFC.
TEST(OpaqueString, MapsSpacesAndNormalises) {
  EXPECT_EQ(Prepared("a\u00a0b\u3000c"), "a b c");                  // no-break, ideographic
  EXPECT_EQ(Prepared("caf\u0065\u0301"), "caf\u00e9");              // e + combining acute
  EXPECT_EQ(Prepared("caf\u00e9"), "caf\u00e9");
  EXPECT_EQ(Prepared("\u212b"), "\u00c5");                           // Angstrom sign
  // Compatibility characters are kept (no NFKC, no width mapping).
  EXPECT_EQ(Prepared("\uff21\u2163"), "\uff21\u2163");
  EXPECT_EQ(Prepared("\U0001F600 emoji"), "\U0001F600 emoji");
  EXPECT_EQ(Prepared("Ἀθηνᾶ"), "Ἀθηνᾶ");
}

// Examples from RFC 8265 §4.3 (valid) and §4.4 (invalid), and the classes
// the FreeformClass refuses.
TEST(OpaqueString, RefusesWhatTheProfileRefuses) {
  EXPECT_EQ(Prepared("correct horse battery staple"), "correct horse battery staple");
  EXPECT_EQ(Prepared("Correct Horse Battery Staple"), "Correct Horse Battery Staple");
  EXPECT_EQ(Prepared("πßå"), "πßå");
  EXPECT_EQ(Prepared("Jack of \u2666s"), "Jack of \u2666s");
  EXPECT_EQ(Prepared("foo\u1680bar"), "foo bar");  // OGHAM SPACE MARK is Zs
  for (std::string_view bad : {std::string_view(""), std::string_view("my cat is a \tby"),
                               std::string_view("nul\0x", 5), std::string_view("a\u200db"),
                               std::string_view("a\u00adb"), std::string_view("\ue000"),
                               std::string_view("a\u2028b"), std::string_view("\u1100"),
                               std::string_view("\xff\xfe"), std::string_view("\xc3")}) {
    EXPECT_FALSE(PrepareOpaqueString(bad).ok()) << bad;
  }
  EXPECT_EQ(PrepareOpaqueString("bell\a").status().message(),
            "U+0007 is not allowed in a password (RFC 8265 OpaqueString)");
}

}  // namespace
}  // namespace ringlet::sasl
