#include "xmpp/sasl/scram_primitives.h"

#include "gtest/gtest.h"

namespace ringlet::sasl {
namespace {

TEST(Base64, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("n,,"), "biws");
  EXPECT_EQ(Base64Encode("pencil"), "cGVuY2ls");
  EXPECT_EQ(Base64Encode("pe"), "cGU=");
  std::string bytes;
  ASSERT_TRUE(Base64Decode("cGU=", &bytes));
  EXPECT_EQ(bytes, "pe");
  EXPECT_FALSE(Base64Decode("cGU", &bytes));
  EXPECT_FALSE(Base64Decode("cG,=", &bytes));
  EXPECT_FALSE(Base64Decode("c===", &bytes));
}

TEST(SaslName, EscapesCommaAndEquals) {
  EXPECT_EQ(EncodeSaslName("a,b=c"), "a=2Cb=3Dc");
  std::string name;
  ASSERT_TRUE(DecodeSaslName("a=2Cb=3Dc", &name));
  EXPECT_EQ(name, "a,b=c");
  EXPECT_FALSE(DecodeSaslName("a=2", &name));
  EXPECT_FALSE(DecodeSaslName("a=41", &name));
  EXPECT_FALSE(DecodeSaslName("a,b", &name));
  EXPECT_FALSE(DecodeSaslName("", &name));
}

TEST(Credentials, MatchRfc5802Example) {
  std::string salt;
  ASSERT_TRUE(Base64Decode("QSXCR+Q6sek8bf92", &salt));
  const ScramCredentials credentials =
      DeriveScramCredentials(ScramHash::kSha1, "pencil", salt, 4096);
  EXPECT_EQ(credentials.iterations, 4096u);
  EXPECT_EQ(credentials.stored_key.size(), 20u);
  EXPECT_EQ(credentials.server_key.size(), 20u);
  EXPECT_TRUE(VerifyScramPassword(ScramHash::kSha1, credentials, "pencil"));
  EXPECT_FALSE(VerifyScramPassword(ScramHash::kSha1, credentials, "pencil2"));
  EXPECT_FALSE(VerifyScramPassword(ScramHash::kSha1, ScramCredentials(), ""));
}

TEST(Credentials, NewOnesHaveFreshSalt) {
  const ScramCredentials a =
      NewScramCredentials(ScramHash::kSha256, "pw", 4096, SystemRandom());
  const ScramCredentials b =
      NewScramCredentials(ScramHash::kSha256, "pw", 4096, SystemRandom());
  EXPECT_EQ(a.salt.size(), 16u);
  EXPECT_NE(a.salt, b.salt);
  EXPECT_NE(a.stored_key, b.stored_key);
  EXPECT_TRUE(VerifyScramPassword(ScramHash::kSha256, a, "pw"));
}

TEST(Nonce, IsPrintableWithoutComma) {
  for (int i = 0; i < 50; ++i) {
    const std::string nonce = MakeScramNonce(SystemRandom(), 24);
    EXPECT_EQ(nonce.size(), 24u);
    EXPECT_TRUE(IsValidScramNonce(nonce)) << nonce;
  }
  // What we accept is any RFC 5802 nonce, wider than what we make.
  EXPECT_TRUE(IsValidScramNonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0\"'"));
  EXPECT_FALSE(IsValidScramNonce(""));
  EXPECT_FALSE(IsValidScramNonce("ab,c"));
  EXPECT_FALSE(IsValidScramNonce("ab c"));
}

// Some clients' SCRAM parsers mangle quotes and other punctuation (xmpp.js
// 0.14 failed one login in six on a '"'): every nonce character we make is
// a base64 one, and all of them occur.
TEST(Nonce, UsesOnlyTheBase64Alphabet) {
  std::string seen;
  for (int i = 0; i < 400; ++i) {
    for (char c : SystemRandom().ScramNonce(24)) {
      ASSERT_NE(kScramNonceAlphabet.find(c), std::string_view::npos) << c;
      if (seen.find(c) == std::string::npos) seen += c;
    }
  }
  EXPECT_EQ(seen.size(), 64u);
}

TEST(ConstantTimeEquals, ComparesContentAndSize) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST(SplitScramAttributes, SplitsAndValidates) {
  std::vector<ScramAttribute> attributes;
  ASSERT_TRUE(SplitScramAttributes("n=user,r=abc,x=", &attributes));
  ASSERT_EQ(attributes.size(), 3u);
  EXPECT_EQ(attributes[0].name, 'n');
  EXPECT_EQ(attributes[0].value, "user");
  EXPECT_EQ(attributes[2].value, "");
  EXPECT_FALSE(SplitScramAttributes("", &attributes));
  EXPECT_FALSE(SplitScramAttributes("n=user,", &attributes));
  EXPECT_FALSE(SplitScramAttributes("nn=user", &attributes));
  EXPECT_FALSE(SplitScramAttributes("1=user", &attributes));
}

}  // namespace
}  // namespace ringlet::sasl
