#include "xmpp/sasl/scram.h"

#include "gtest/gtest.h"
#include "xmpp/sasl/scram_client.h"
#include "xmpp/sasl/scripted_random.h"

namespace ringlet::sasl {
namespace {

// One example exchange from an RFC: user "user", password "pencil".
struct Vector {
  ScramHash hash;
  std::string client_nonce;
  std::string server_nonce;
  std::string salt_base64;
  std::string client_first;
  std::string server_first;
  std::string client_final;
  std::string server_final;
};

const Vector kRfc5802 = {
    ScramHash::kSha1,
    "fyko+d2lbbFgONRv9qkxdawL",
    "3rfcNHYJY1ZVvWVs7j",
    "QSXCR+Q6sek8bf92",
    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
    "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

const Vector kRfc7677 = {
    ScramHash::kSha256,
    "rOprNGfwEbeRWgbNEkqO",
    "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "W22ZaJ0SNY7soEsUEjb6gQ==",
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

ScramCredentials PencilCredentials(const Vector& vector) {
  std::string salt;
  EXPECT_TRUE(Base64Decode(vector.salt_base64, &salt));
  return DeriveScramCredentials(vector.hash, "pencil", salt, 4096);
}

// Options under which a server replays `vector`'s server nonce.
ScramServerOptions VectorServerOptions(const Vector& vector,
                                       ScriptedRandom* random) {
  random->AddNonce(vector.server_nonce);
  ScramServerOptions options;
  options.mechanism.hash = vector.hash;
  options.nonce_chars = vector.server_nonce.size();
  options.random = random;
  return options;
}

class RfcVectorTest : public testing::TestWithParam<Vector> {};

TEST_P(RfcVectorTest, ServerReproducesExchange) {
  const Vector& vector = GetParam();
  ScriptedRandom random;
  ScramServer server(VectorServerOptions(vector, &random));

  ASSERT_TRUE(server.ReceiveClientFirst(vector.client_first).ok());
  EXPECT_EQ(server.username(), "user");
  EXPECT_EQ(server.authzid(), "");
  const ScramCredentials credentials = PencilCredentials(vector);
  std::string server_first;
  ASSERT_TRUE(server.MakeServerFirst(&credentials, &server_first).ok());
  EXPECT_EQ(server_first, vector.server_first);
  std::string server_final;
  const SaslStatus status =
      server.ReceiveClientFinal(vector.client_final, &server_final);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(server_final, vector.server_final);
  EXPECT_EQ(server.state(), ScramServer::State::kSucceeded);
}

TEST_P(RfcVectorTest, ClientReproducesExchange) {
  const Vector& vector = GetParam();
  ScriptedRandom random;
  random.AddNonce(vector.client_nonce);
  ScramClientOptions options;
  options.mechanism.hash = vector.hash;
  options.username = "user";
  options.password = "pencil";
  options.nonce_chars = vector.client_nonce.size();
  options.random = &random;
  ScramClient client(options);

  EXPECT_EQ(client.ClientFirst(), vector.client_first);
  std::string client_final;
  ASSERT_TRUE(
      client.ReceiveServerFirst(vector.server_first, &client_final).ok());
  EXPECT_EQ(client_final, vector.client_final);
  EXPECT_TRUE(client.ReceiveServerFinal(vector.server_final).ok());
  EXPECT_FALSE(client.ReceiveServerFinal("v=AAAA").ok());
  EXPECT_EQ(client.ReceiveServerFinal("e=invalid-proof").server_error(),
            ScramServerError::kInvalidProof);
  EXPECT_EQ(client.ReceiveServerFinal("e=new-error").server_error(),
            ScramServerError::kOtherError);
}

TEST_P(RfcVectorTest, ServerRejectsWrongPassword) {
  const Vector& vector = GetParam();
  ScriptedRandom random;
  ScramServer server(VectorServerOptions(vector, &random));
  ASSERT_TRUE(server.ReceiveClientFirst(vector.client_first).ok());
  const ScramCredentials other = DeriveScramCredentials(
      vector.hash, "pencil!", PencilCredentials(vector).salt, 4096);
  std::string server_first, server_final;
  ASSERT_TRUE(server.MakeServerFirst(&other, &server_first).ok());
  const SaslStatus status =
      server.ReceiveClientFinal(vector.client_final, &server_final);
  EXPECT_EQ(status.condition(), SaslCondition::kNotAuthorized);
  EXPECT_EQ(status.server_error(), ScramServerError::kInvalidProof);
  EXPECT_EQ(status.ServerFinalError(), "e=invalid-proof");
  EXPECT_EQ(server.state(), ScramServer::State::kFailed);
}

INSTANTIATE_TEST_SUITE_P(Rfc, RfcVectorTest,
                         testing::Values(kRfc5802, kRfc7677));

// Runs our client against our server; returns the first failure or OK.
SaslStatus RunExchange(ScramServerOptions server_options,
                       ScramClientOptions client_options,
                       const ScramCredentials* credentials) {
  ScramServer server(std::move(server_options));
  ScramClient client(std::move(client_options));
  SaslStatus status = server.ReceiveClientFirst(client.ClientFirst());
  if (!status.ok()) return status;
  std::string server_first, client_final, server_final;
  status = server.MakeServerFirst(credentials, &server_first);
  if (!status.ok()) return status;
  status = client.ReceiveServerFirst(server_first, &client_final);
  if (!status.ok()) return status;
  status = server.ReceiveClientFinal(client_final, &server_final);
  if (!status.ok()) return status;
  return client.ReceiveServerFinal(server_final);
}

class ExchangeTest : public testing::Test {
 protected:
  ExchangeTest() {
    server_.mechanism = {ScramHash::kSha256, true};
    server_.plus_offered = true;
    server_.channel_binding_data = "exporter-bytes-32";
    client_.mechanism = {ScramHash::kSha256, true};
    client_.username = "juliet,capulet=";
    client_.password = "r0m30";
    client_.channel_binding_data = "exporter-bytes-32";
    credentials_ = NewScramCredentials(ScramHash::kSha256, "r0m30", 4096,
                                       SystemRandom());
  }
  ScramServerOptions server_;
  ScramClientOptions client_;
  ScramCredentials credentials_;
};

TEST_F(ExchangeTest, PlusWithTlsExporterAndEscapedNames) {
  client_.authzid = "juliet,capulet=@example.com";
  ScramServer server(server_);
  ScramClient client(client_);
  ASSERT_TRUE(server.ReceiveClientFirst(client.ClientFirst()).ok());
  EXPECT_EQ(server.username(), "juliet,capulet=");
  EXPECT_EQ(server.authzid(), "juliet,capulet=@example.com");
  EXPECT_TRUE(RunExchange(server_, client_, &credentials_).ok());
}

TEST_F(ExchangeTest, PlusBindingMismatchIsRefused) {
  client_.channel_binding_data = "other-connection";
  const SaslStatus status = RunExchange(server_, client_, &credentials_);
  EXPECT_EQ(status.condition(), SaslCondition::kNotAuthorized);
  EXPECT_EQ(status.server_error(), ScramServerError::kChannelBindingsDontMatch);
}

TEST_F(ExchangeTest, PlusWithoutServerBindingData) {
  server_.channel_binding_data.clear();
  const SaslStatus status = RunExchange(server_, client_, &credentials_);
  EXPECT_EQ(status.server_error(),
            ScramServerError::kChannelBindingNotSupported);
}

TEST_F(ExchangeTest, DowngradeYIsRefusedWhenPlusOffered) {
  server_.mechanism.plus = false;
  client_.mechanism.plus = false;  // has binding data, so it sends "y"
  SaslStatus status = RunExchange(server_, client_, &credentials_);
  EXPECT_EQ(status.server_error(),
            ScramServerError::kServerDoesSupportChannelBinding);
  server_.plus_offered = false;
  status = RunExchange(server_, client_, &credentials_);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST_F(ExchangeTest, Sha1WithoutBinding) {
  server_ = ScramServerOptions();
  server_.mechanism = {ScramHash::kSha1, false};
  client_.mechanism = {ScramHash::kSha1, false};
  client_.channel_binding_data.clear();
  credentials_ = NewScramCredentials(ScramHash::kSha1, "r0m30", 4096,
                                     SystemRandom());
  EXPECT_TRUE(RunExchange(server_, client_, &credentials_).ok());
}

TEST_F(ExchangeTest, CachedSaltedPasswordStillProvesOnlyTheRightPassword) {
  client_.cache_salted_password = true;
  EXPECT_TRUE(RunExchange(server_, client_, &credentials_).ok());
  EXPECT_TRUE(RunExchange(server_, client_, &credentials_).ok());  // from the cache
  client_.password = "wrong";  // another password is another cache entry
  EXPECT_EQ(RunExchange(server_, client_, &credentials_).condition(),
            SaslCondition::kNotAuthorized);
}

TEST_F(ExchangeTest, UnknownUserLooksLikeWrongPassword) {
  server_.decoy_key = "secret";
  ScramServer server(server_);
  ScramClient client(client_);
  ASSERT_TRUE(server.ReceiveClientFirst(client.ClientFirst()).ok());
  std::string server_first, client_final, server_final;
  ASSERT_TRUE(server.MakeServerFirst(nullptr, &server_first).ok());
  ASSERT_TRUE(client.ReceiveServerFirst(server_first, &client_final).ok());
  const SaslStatus status = server.ReceiveClientFinal(client_final,
                                                      &server_final);
  EXPECT_EQ(status.condition(), SaslCondition::kNotAuthorized);
  EXPECT_EQ(status.server_error(), ScramServerError::kInvalidProof);
}

TEST_F(ExchangeTest, ClientRefusesLowIterationCount) {
  credentials_ = NewScramCredentials(ScramHash::kSha256, "r0m30", 1000,
                                     SystemRandom());
  const SaslStatus status = RunExchange(server_, client_, &credentials_);
  EXPECT_EQ(status.condition(), SaslCondition::kMalformedRequest);
}

TEST_F(ExchangeTest, CredentialsOfTheWrongHash) {
  credentials_ = NewScramCredentials(ScramHash::kSha1, "r0m30", 4096,
                                     SystemRandom());
  const SaslStatus status = RunExchange(server_, client_, &credentials_);
  EXPECT_EQ(status.condition(), SaslCondition::kTemporaryAuthFailure);
}

// A client-first message that must be refused, and how.
struct BadFirst {
  bool plus;
  std::string message;
  SaslCondition condition;
  ScramServerError error;
};

class BadClientFirstTest : public testing::TestWithParam<BadFirst> {};

TEST_P(BadClientFirstTest, IsRefused) {
  ScramServerOptions options;
  options.mechanism.plus = GetParam().plus;
  options.plus_offered = true;
  options.channel_binding_data = "cb";
  ScramServer server(options);
  const SaslStatus status = server.ReceiveClientFirst(GetParam().message);
  EXPECT_FALSE(status.ok()) << GetParam().message;
  EXPECT_EQ(status.condition(), GetParam().condition) << status.ToString();
  EXPECT_EQ(status.server_error(), GetParam().error) << status.ToString();
  EXPECT_EQ(server.state(), ScramServer::State::kFailed);
  std::string server_first;
  EXPECT_FALSE(server.MakeServerFirst(nullptr, &server_first).ok());
}

constexpr auto kMalformed = SaslCondition::kMalformedRequest;
constexpr auto kNotAuthorized = SaslCondition::kNotAuthorized;

INSTANTIATE_TEST_SUITE_P(
    Malformed, BadClientFirstTest,
    testing::Values(
        BadFirst{false, "", kMalformed, ScramServerError::kOtherError},
        BadFirst{false, "n,", kMalformed, ScramServerError::kOtherError},
        BadFirst{false, "x,,n=user,r=abc", kMalformed,
                 ScramServerError::kOtherError},
        BadFirst{false, "p=tls-exporter,,n=user,r=abc", kMalformed,
                 ScramServerError::kOtherError},
        BadFirst{true, "n,,n=user,r=abc", kMalformed,
                 ScramServerError::kOtherError},
        BadFirst{true, "p=tls-unique,,n=user,r=abc", kNotAuthorized,
                 ScramServerError::kUnsupportedChannelBindingType},
        BadFirst{false, "n,b=x,n=user,r=abc", kMalformed,
                 ScramServerError::kInvalidEncoding},
        BadFirst{false, "n,,m=ext,n=user,r=abc", kMalformed,
                 ScramServerError::kExtensionsNotSupported},
        BadFirst{false, "n,,n=us=2Xer,r=abc", kMalformed,
                 ScramServerError::kInvalidUsernameEncoding},
        BadFirst{false, "n,,n=,r=abc", kMalformed,
                 ScramServerError::kInvalidUsernameEncoding},
        BadFirst{false, "n,,r=abc,n=user", kMalformed,
                 ScramServerError::kOtherError},
        BadFirst{false, "n,,n=user", kMalformed,
                 ScramServerError::kOtherError},
        BadFirst{false, "n,,n=user,r=", kMalformed,
                 ScramServerError::kOtherError},
        BadFirst{false, "n,,n=user,r=a\x01", kMalformed,
                 ScramServerError::kOtherError},
        BadFirst{false, "n,,n=user,r=abc,", kMalformed,
                 ScramServerError::kInvalidEncoding},
        BadFirst{false, "n,,n=user,r=" + std::string(5000, 'a'), kMalformed,
                 ScramServerError::kOtherError}));

TEST(BadClientFinal, EachDefectHasItsError) {
  const Vector& vector = kRfc5802;
  const ScramCredentials credentials = PencilCredentials(vector);
  const std::string nonce =
      "fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j";
  const struct {
    std::string message;
    SaslCondition condition;
    ScramServerError error;
  } cases[] = {
      {"", kMalformed, ScramServerError::kInvalidEncoding},
      {"c=biws,r=" + nonce, kMalformed, ScramServerError::kInvalidEncoding},
      {"r=" + nonce + ",c=biws,p=AAAA", kMalformed,
       ScramServerError::kInvalidEncoding},
      {"c=b!ws,r=" + nonce + ",p=AAAA", kMalformed,
       ScramServerError::kInvalidEncoding},
      {"c=eSws,r=" + nonce + ",p=AAAA", kNotAuthorized,
       ScramServerError::kChannelBindingsDontMatch},
      {"c=biws,r=" + nonce + "x,p=AAAA", kNotAuthorized,
       ScramServerError::kOtherError},
      {"c=biws,r=" + nonce + ",p=A!AA", kMalformed,
       ScramServerError::kInvalidEncoding},
      {"c=biws,r=" + nonce + ",p=AAAA", kNotAuthorized,
       ScramServerError::kInvalidProof},
  };
  for (const auto& c : cases) {
    ScriptedRandom random;
    ScramServer server(VectorServerOptions(vector, &random));
    ASSERT_TRUE(server.ReceiveClientFirst(vector.client_first).ok());
    std::string server_first, server_final;
    ASSERT_TRUE(server.MakeServerFirst(&credentials, &server_first).ok());
    const SaslStatus status = server.ReceiveClientFinal(c.message,
                                                        &server_final);
    EXPECT_EQ(status.condition(), c.condition) << c.message;
    EXPECT_EQ(status.server_error(), c.error) << c.message;
    EXPECT_TRUE(server_final.empty());
    // The exchange is over after a failure, even for the right message.
    EXPECT_FALSE(server.ReceiveClientFinal(vector.client_final,
                                           &server_final).ok());
  }
}

TEST(Mechanism, ParsesNames) {
  ScramMechanism mechanism;
  ASSERT_TRUE(ParseScramMechanism("SCRAM-SHA-1", &mechanism));
  EXPECT_EQ(mechanism.hash, ScramHash::kSha1);
  EXPECT_FALSE(mechanism.plus);
  ASSERT_TRUE(ParseScramMechanism("SCRAM-SHA-256-PLUS", &mechanism));
  EXPECT_EQ(mechanism.hash, ScramHash::kSha256);
  EXPECT_TRUE(mechanism.plus);
  EXPECT_EQ(ScramMechanismName(mechanism), "SCRAM-SHA-256-PLUS");
  EXPECT_FALSE(ParseScramMechanism("SCRAM-SHA-512", &mechanism));
  EXPECT_FALSE(ParseScramMechanism("-PLUS", &mechanism));
  EXPECT_FALSE(ParseScramMechanism("PLAIN", &mechanism));
}

}  // namespace
}  // namespace ringlet::sasl
