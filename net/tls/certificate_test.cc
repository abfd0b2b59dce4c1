#include "net/tls/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace ringlet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempDir() {
  const char* root = getenv("TEST_TMPDIR");
  std::string pattern = std::string(root != nullptr ? root : "/tmp") + "/cert_XXXXXX";
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CertificateTest, SelfSignedHasEveryDomainAndAPrivateKeyFile) {
  std::string dir = TempDir();
  std::string cert = dir + "/c.pem", key = dir + "/k.pem";
  ASSERT_TRUE(WriteSelfSignedCertificate({"example.com", "chat.example.org"}, cert, key).ok());

  struct stat info;
  ASSERT_EQ(stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_THAT(ReadFile(key), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_NE(access((cert + ".tmp").c_str(), F_OK), 0);

  std::string pem = ReadFile(cert);
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  bssl::UniquePtr<X509> x509(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(x509, nullptr);
  // Valid now and for about ten years; P-256 key; self-signed.
  EXPECT_EQ(X509_cmp_current_time(X509_get0_notBefore(x509.get())), -1);
  time_t nine_years = time(nullptr) + 9L * 365 * 86400;
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(x509.get()), &nine_years), 1);
  bssl::UniquePtr<EVP_PKEY> public_key(X509_get_pubkey(x509.get()));
  EXPECT_EQ(EVP_PKEY_id(public_key.get()), EVP_PKEY_EC);
  EXPECT_EQ(X509_verify(x509.get(), public_key.get()), 1);
  EXPECT_EQ(X509_check_host(x509.get(), "chat.example.org", 16, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(x509.get(), "other.example.net", 17, 0, nullptr), 0);

  uint8_t* der = nullptr;
  int der_bytes = i2d_X509(x509.get(), &der);
  ASSERT_GT(der_bytes, 0);
  absl::StatusOr<CertificateNames> names =
      CertificateNamesFromDer(std::string_view(reinterpret_cast<char*>(der), der_bytes));
  OPENSSL_free(der);
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(names->dns_names, ElementsAre("example.com", "chat.example.org"));
  EXPECT_THAT(names->srv_names,
              ElementsAre("_xmpp-client.example.com", "_xmpp-server.example.com",
                          "_xmpp-client.chat.example.org", "_xmpp-server.chat.example.org"));
  EXPECT_THAT(names->xmpp_addrs, ElementsAre("example.com", "chat.example.org"));
  EXPECT_EQ(names->common_name, "example.com");
}

TEST(CertificateTest, TwoCertificatesDiffer) {
  std::string dir = TempDir();
  ASSERT_TRUE(WriteSelfSignedCertificate({"a.example"}, dir + "/1.crt", dir + "/1.key").ok());
  ASSERT_TRUE(WriteSelfSignedCertificate({"a.example"}, dir + "/2.crt", dir + "/2.key").ok());
  EXPECT_NE(ReadFile(dir + "/1.crt"), ReadFile(dir + "/2.crt"));
  EXPECT_NE(ReadFile(dir + "/1.key"), ReadFile(dir + "/2.key"));
}

TEST(CertificateTest, RefusesNoDomainsAndUnwritablePaths) {
  std::string dir = TempDir();
  EXPECT_EQ(WriteSelfSignedCertificate({}, dir + "/c", dir + "/k").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteSelfSignedCertificate({"bad domain"}, dir + "/c", dir + "/k").code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status status =
      WriteSelfSignedCertificate({"a.example"}, dir + "/missing/c", dir + "/missing/k");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("missing/k.tmp"));
}

TEST(CertificateTest, GarbageIsNotACertificate) {
  absl::StatusOr<CertificateNames> names = CertificateNamesFromDer("not a certificate");
  EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ringlet
