#include "net/tls/tls_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/flags/flag.h"

namespace ringlet {
namespace {

using ::testing::HasSubstr;

TEST(TlsFlagsTest, PairsCertificatesAndKeysByDomainInCertificateOrder) {
  absl::StatusOr<std::vector<TlsCertificateFiles>> files = ParseTlsCertificateEntries(
      {"b.example=/b.crt", "A.example=/a.crt"}, {"a.example=/a.key", "b.example=/b.key"});
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].domain, "b.example");
  EXPECT_EQ((*files)[0].chain_path, "/b.crt");
  EXPECT_EQ((*files)[0].key_path, "/b.key");
  EXPECT_EQ((*files)[1].domain, "a.example");
  EXPECT_EQ((*files)[1].key_path, "/a.key");
}

TEST(TlsFlagsTest, EmptyMeansNoneConfigured) {
  absl::StatusOr<std::vector<TlsCertificateFiles>> files = ParseTlsCertificateEntries({}, {});
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
}

TEST(TlsFlagsTest, RefusesMalformedAndUnpairedEntries) {
  EXPECT_THAT(ParseTlsCertificateEntries({"/a.crt"}, {}).status().message(),
              HasSubstr("--tls_cert: '/a.crt' is not DOMAIN=PATH"));
  EXPECT_THAT(ParseTlsCertificateEntries({"a=/a.crt"}, {"a="}).status().message(),
              HasSubstr("--tls_key: 'a=' is not DOMAIN=PATH"));
  EXPECT_THAT(ParseTlsCertificateEntries({"a=/a.crt"}, {}).status().message(),
              HasSubstr("--tls_key has no key for it"));
  EXPECT_THAT(ParseTlsCertificateEntries({}, {"a=/a.key"}).status().message(),
              HasSubstr("--tls_cert has no certificate for it"));
  EXPECT_THAT(ParseTlsCertificateEntries({"a=/1", "A=/2"}, {"a=/k"}).status().message(),
              HasSubstr("listed twice"));
}

TEST(TlsFlagsTest, MinVersion) {
  EXPECT_EQ(*TlsMinVersionFromFlags(), TlsVersion::k1_2);
  absl::SetFlag(&FLAGS_tls_min_version, "1.3");
  EXPECT_EQ(*TlsMinVersionFromFlags(), TlsVersion::k1_3);
  absl::SetFlag(&FLAGS_tls_min_version, "1.1");
  EXPECT_THAT(TlsMinVersionFromFlags().status().message(),
              HasSubstr("--tls_min_version: TLS version must be 1.2 or 1.3, not '1.1'"));
}

}  // namespace
}  // namespace ringlet
