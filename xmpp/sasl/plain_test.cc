#include "xmpp/sasl/plain.h"

#include <string>

#include "gtest/gtest.h"
#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::sasl {
namespace {

using namespace std::string_literals;

TEST(Plain, ParsesAllThreeFields) {
  PlainMessage parsed;
  const std::string message = "admin\0juliet\0r0m30"s;
  ASSERT_TRUE(ParsePlainMessage(message, &parsed).ok());
  EXPECT_EQ(parsed.authzid, "admin");
  EXPECT_EQ(parsed.authcid, "juliet");
  EXPECT_EQ(parsed.password, "r0m30");
  const std::string no_authzid = "\0juliet\0p\xc3\xa4ss"s;
  ASSERT_TRUE(ParsePlainMessage(no_authzid, &parsed).ok());
  EXPECT_EQ(parsed.authzid, "");
  EXPECT_EQ(parsed.password, "p\xc3\xa4ss");
}

TEST(Plain, RefusesMalformedMessages) {
  PlainMessage parsed;
  for (const std::string& message :
       {""s, "juliet"s, "\0juliet"s, "\0\0pw"s, "\0juliet\0"s,
        "a\0b\0c\0d"s, "\0"s + std::string(256, 'j') + "\0pw"s}) {
    const SaslStatus status = ParsePlainMessage(message, &parsed);
    EXPECT_EQ(status.condition(), SaslCondition::kMalformedRequest)
        << testing::PrintToString(message);
  }
  const SaslStatus status = ParsePlainMessage("\0juliet\0\xff"s, &parsed);
  EXPECT_EQ(status.condition(), SaslCondition::kIncorrectEncoding);
}

TEST(Plain, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
}

TEST(Plain, PasswordChecksAgainstScramKeys) {
  const ScramCredentials credentials =
      NewScramCredentials(ScramHash::kSha256, "r0m30", 4096, SystemRandom());
  PlainMessage parsed;
  const std::string right = "\0juliet\0r0m30"s;
  const std::string wrong = "\0juliet\0romeo"s;
  ASSERT_TRUE(ParsePlainMessage(right, &parsed).ok());
  EXPECT_TRUE(
      VerifyScramPassword(ScramHash::kSha256, credentials, parsed.password));
  ASSERT_TRUE(ParsePlainMessage(wrong, &parsed).ok());
  EXPECT_FALSE(
      VerifyScramPassword(ScramHash::kSha256, credentials, parsed.password));
}

}  // namespace
}  // namespace ringlet::sasl
