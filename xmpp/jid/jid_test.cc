#include "xmpp/jid/jid.h"

#include "gtest/gtest.h"

namespace ringlet {
namespace {

TEST(JidTest, ParsesAllForms) {
  absl::StatusOr<Jid> full = Jid::Parse("Juliet@Capulet.Example/Balcony Scene");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->local(), "juliet");
  EXPECT_EQ(full->domain(), "capulet.example");
  EXPECT_EQ(full->resource(), "Balcony Scene");  // resource keeps its case
  EXPECT_EQ(full->ToString(), "juliet@capulet.example/Balcony Scene");
  EXPECT_EQ(full->Bare().ToString(), "juliet@capulet.example");
  EXPECT_FALSE(full->is_bare());

  absl::StatusOr<Jid> domain = Jid::Parse("example.com.");
  ASSERT_TRUE(domain.ok());
  EXPECT_TRUE(domain->is_domain());
  EXPECT_EQ(domain->ToString(), "example.com");

  absl::StatusOr<Jid> resource_with_slash = Jid::Parse("a@b/c/d@e");
  ASSERT_TRUE(resource_with_slash.ok());
  EXPECT_EQ(resource_with_slash->resource(), "c/d@e");

  EXPECT_TRUE(Jid::Parse("[::1]").ok());
  EXPECT_TRUE(Jid::Parse("\xC3\xA9lise@\xC3\xA9xample.com/\xE2\x98\x83").ok());
}

TEST(JidTest, CaseFoldingMakesEqualJids) {
  EXPECT_EQ(*Jid::Parse("ROMEO@Example.COM"), *Jid::Parse("romeo@example.com"));
  EXPECT_NE(*Jid::Parse("romeo@example.com/A"), *Jid::Parse("romeo@example.com/a"));
}

TEST(JidTest, RefusesInvalid) {
  for (const char* bad :
       {"", "@example.com", "user@", "user@/res", "example.com/", "a@b@c", "us er@example.com",
        "a\"b@example.com", "a:b@example.com", "a<b@example.com", "exa mple.com",
        "example..com", ".example.com", "example.com..", "a@[::1", "a@b/\x01", "a\xC0\x80@b", "a@b\xED\xA0\x80",
        "a@b/\xEF\xBF\xBE"}) {
    EXPECT_FALSE(Jid::Parse(bad).ok()) << bad;
  }
}

TEST(JidTest, LengthLimits) {
  const std::string part(1023, 'a');
  EXPECT_TRUE(Jid::Parse(part + "@" + part + "/" + part).ok());
  EXPECT_FALSE(Jid::Parse(part + "a@example.com").ok());
  EXPECT_FALSE(Jid::Parse("a@" + part + "a").ok());
  EXPECT_FALSE(Jid::Parse("a@b/" + part + "a").ok());
}

TEST(JidTest, WithResource) {
  absl::StatusOr<Jid> full = Jid::Parse("a@b")->WithResource("phone");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->ToString(), "a@b/phone");
  EXPECT_FALSE(Jid::Parse("a@b")->WithResource("").ok());
}

}  // namespace
}  // namespace ringlet
