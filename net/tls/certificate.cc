#include "net/tls/certificate.h"

#include <fcntl.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "net/tls/internal/ssl_error.h"

namespace ringlet {
namespace {

using tls_internal::SslStatus;

constexpr char kOidXmppAddr[] = "1.3.6.1.5.5.7.8.5";
constexpr char kOidDnsSrv[] = "1.3.6.1.5.5.7.8.7";

struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter>;

std::string Asn1StringText(const ASN1_STRING* text) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                     ASN1_STRING_length(text));
}

bool OidEquals(const ASN1_OBJECT* object, const char* dotted) {
  bssl::UniquePtr<ASN1_OBJECT> expected(OBJ_txt2obj(dotted, /*dont_search_names=*/1));
  return expected != nullptr && OBJ_cmp(object, expected.get()) == 0;
}

// Appends a dNSName to `names`. False on allocation failure.
bool AddDnsName(GENERAL_NAMES* names, const std::string& domain) {
  bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
  bssl::UniquePtr<ASN1_IA5STRING> text(ASN1_IA5STRING_new());
  if (name == nullptr || text == nullptr ||
      !ASN1_STRING_set(text.get(), domain.data(), domain.size())) {
    return false;
  }
  name->type = GEN_DNS;
  name->d.dNSName = text.release();
  if (!sk_GENERAL_NAME_push(names, name.get())) return false;
  name.release();
  return true;
}

// Appends an otherName of type `oid` holding `value` as an ASN.1 string of
// `string_type` (V_ASN1_IA5STRING or V_ASN1_UTF8STRING).
bool AddOtherName(GENERAL_NAMES* names, const char* oid, int string_type,
                  const std::string& value) {
  bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
  OTHERNAME* other = OTHERNAME_new();
  if (name == nullptr || other == nullptr) {
    OTHERNAME_free(other);
    return false;
  }
  name->type = GEN_OTHERNAME;
  name->d.otherName = other;  // Owned by `name` from here on.
  ASN1_OBJECT_free(other->type_id);
  other->type_id = OBJ_txt2obj(oid, /*dont_search_names=*/1);
  bssl::UniquePtr<ASN1_STRING> text(ASN1_STRING_type_new(string_type));
  if (other->type_id == nullptr || text == nullptr ||
      !ASN1_STRING_set(text.get(), value.data(), value.size())) {
    return false;
  }
  if (other->value == nullptr) other->value = ASN1_TYPE_new();
  if (other->value == nullptr) return false;
  ASN1_TYPE_set(other->value, string_type, text.release());
  if (!sk_GENERAL_NAME_push(names, name.get())) return false;
  name.release();
  return true;
}

absl::StatusOr<std::string> ToPem(int (*write)(BIO*, void*), void* object) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || !write(bio.get(), object)) {
    return SslStatus(absl::StatusCode::kInternal, "PEM encoding failed");
  }
  const uint8_t* data = nullptr;
  size_t length = 0;
  BIO_mem_contents(bio.get(), &data, &length);
  return std::string(reinterpret_cast<const char*>(data), length);
}

// Writes `contents` to `path` with `mode` through a temporary file + rename.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 mode_t mode) {
  std::string temp_path = path + ".tmp";
  int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create ", temp_path, ": ", strerror(errno)));
  }
  // open() applies the umask and keeps the mode of an existing file.
  bool ok = fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += n;
  }
  ok = ok && fsync(fd) == 0;
  int saved_errno = errno;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(temp_path.c_str(), path.c_str()) != 0) {
    if (ok) saved_errno = errno;
    unlink(temp_path.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", strerror(saved_errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CertificateNames> CertificateNamesFromDer(std::string_view der) {
  const uint8_t* cursor = reinterpret_cast<const uint8_t*>(der.data());
  bssl::UniquePtr<X509> certificate(d2i_X509(nullptr, &cursor, der.size()));
  if (certificate == nullptr) {
    return SslStatus(absl::StatusCode::kInvalidArgument, "not a DER certificate");
  }
  CertificateNames result;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (size_t i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      result.dns_names.push_back(Asn1StringText(name->d.dNSName));
    } else if (name->type == GEN_OTHERNAME) {
      const OTHERNAME* other = name->d.otherName;
      const ASN1_TYPE* value = other->value;
      if (OidEquals(other->type_id, kOidXmppAddr) && value->type == V_ASN1_UTF8STRING) {
        result.xmpp_addrs.push_back(Asn1StringText(value->value.utf8string));
      } else if (OidEquals(other->type_id, kOidDnsSrv) && value->type == V_ASN1_IA5STRING) {
        result.srv_names.push_back(Asn1StringText(value->value.ia5string));
      }
    }
  }
  X509_NAME* subject = X509_get_subject_name(certificate.get());
  int index = -1;
  int last = -1;
  while ((index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)) >= 0) {
    last = index;
  }
  if (last >= 0) {
    result.common_name =
        Asn1StringText(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, last)));
  }
  return result;
}

absl::Status WriteSelfSignedCertificate(const std::vector<std::string>& domains,
                                        const std::string& cert_path, const std::string& key_path) {
  if (domains.empty()) {
    return absl::InvalidArgumentError("a self-signed certificate needs at least one domain");
  }
  for (const std::string& domain : domains) {
    if (domain.empty() || domain.find_first_of(" ,/\\@") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("not a domain name: '", domain, "'"));
    }
  }

  // Key: EC P-256.
  bssl::UniquePtr<EC_KEY> ec_key(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (ec_key == nullptr || key == nullptr || !EC_KEY_generate_key(ec_key.get()) ||
      !EVP_PKEY_assign_EC_KEY(key.get(), ec_key.release())) {
    return SslStatus(absl::StatusCode::kInternal, "EC P-256 key generation failed");
  }

  bssl::UniquePtr<X509> certificate(X509_new());
  if (certificate == nullptr) return SslStatus(absl::StatusCode::kInternal, "X509_new");
  X509* x = certificate.get();

  uint8_t serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof(serial_bytes));
  serial_bytes[0] &= 0x7f;  // Positive, as RFC 5280 requires.
  bssl::UniquePtr<BIGNUM> serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  bssl::UniquePtr<X509_NAME> subject(X509_NAME_new());
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  bool ok = serial != nullptr && subject != nullptr && names != nullptr &&
            X509_set_version(x, X509_VERSION_3) &&
            BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)) != nullptr &&
            X509_NAME_add_entry_by_txt(subject.get(), "CN", MBSTRING_UTF8,
                                       reinterpret_cast<const uint8_t*>(domains[0].data()),
                                       static_cast<int>(domains[0].size()), -1, 0) &&
            X509_set_subject_name(x, subject.get()) && X509_set_issuer_name(x, subject.get()) &&
            X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x),
                            static_cast<long>(kSelfSignedValidityDays) * 24 * 3600) != nullptr &&
            X509_set_pubkey(x, key.get());
  for (size_t i = 0; ok && i < domains.size(); ++i) {
    const std::string& domain = domains[i];
    ok = AddDnsName(names.get(), domain) &&
         AddOtherName(names.get(), kOidDnsSrv, V_ASN1_IA5STRING, "_xmpp-client." + domain) &&
         AddOtherName(names.get(), kOidDnsSrv, V_ASN1_IA5STRING, "_xmpp-server." + domain) &&
         AddOtherName(names.get(), kOidXmppAddr, V_ASN1_UTF8STRING, domain);
  }
  ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT);

  bssl::UniquePtr<BASIC_CONSTRAINTS> constraints(BASIC_CONSTRAINTS_new());
  ok = ok && constraints != nullptr &&
       X509_add1_ext_i2d(x, NID_basic_constraints, constraints.get(), /*crit=*/1,
                         X509V3_ADD_DEFAULT);
  bssl::UniquePtr<EXTENDED_KEY_USAGE> usage(sk_ASN1_OBJECT_new_null());
  ok = ok && usage != nullptr && sk_ASN1_OBJECT_push(usage.get(), OBJ_nid2obj(NID_server_auth)) &&
       sk_ASN1_OBJECT_push(usage.get(), OBJ_nid2obj(NID_client_auth)) &&
       X509_add1_ext_i2d(x, NID_ext_key_usage, usage.get(), 0, X509V3_ADD_DEFAULT);
  ok = ok && X509_sign(x, key.get(), EVP_sha256()) > 0;
  if (!ok) return SslStatus(absl::StatusCode::kInternal, "building the certificate failed");

  auto write_cert = [](BIO* bio, void* object) {
    return PEM_write_bio_X509(bio, static_cast<X509*>(object));
  };
  auto write_key = [](BIO* bio, void* object) {
    return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(object), nullptr, nullptr, 0,
                                    nullptr, nullptr);
  };
  absl::StatusOr<std::string> cert_pem = ToPem(write_cert, x);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ToPem(write_key, key.get());
  if (!key_pem.ok()) return key_pem.status();
  // The key first: a certificate without its key is useless, and a reader
  // that finds both files expects them to match.
  absl::Status status = WriteFileAtomically(key_path, *key_pem, 0600);
  if (!status.ok()) return status;
  return WriteFileAtomically(cert_path, *cert_pem, 0644);
}

}  // namespace ringlet
