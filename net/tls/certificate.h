#pragma once

// X.509 helpers for XMPP servers, over BoringSSL:
//   - WriteSelfSignedCertificate: creates a self-signed certificate for a set
//     of domains (ringletd uses it when no certificate is configured).
//   - CertificateNamesFromDer: the identities a certificate claims
//     (RFC 6120 §13.7.1.2, RFC 6125): dNSName, SRV-ID and xmppAddr.
//
// Pure functions: callable from any thread, no shared state.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ringlet {

// Identities found in one certificate, in certificate order.
struct CertificateNames {
  // subjectAltName dNSName entries ("example.com", "*.example.com").
  std::vector<std::string> dns_names;
  // subjectAltName otherName id-on-dnsSRV (1.3.6.1.5.5.7.8.7) entries, as
  // written ("_xmpp-server.example.com").
  std::vector<std::string> srv_names;
  // subjectAltName otherName id-on-xmppAddr (1.3.6.1.5.5.7.8.5) entries.
  std::vector<std::string> xmpp_addrs;
  // The subject's last commonName; RFC 6125 allows it as a fallback only
  // when the certificate has no subjectAltName identities at all.
  std::string common_name;
};

// Parses one DER certificate and returns its names. InvalidArgument if the
// bytes are not a certificate.
absl::StatusOr<CertificateNames> CertificateNamesFromDer(std::string_view der);

// How long a generated certificate is valid.
inline constexpr int kSelfSignedValidityDays = 3650;

// Creates a self-signed certificate for `domains` (at least one) and writes it
// as PEM to `cert_path` and its key (PKCS#8 PEM) to `key_path`:
//   - key: EC P-256, freshly generated;
//   - subject and issuer CN = domains[0]; random 128-bit serial;
//   - valid from one hour ago for kSelfSignedValidityDays days;
//   - subjectAltName: for each domain a dNSName, the SRV-IDs
//     "_xmpp-client.<domain>" and "_xmpp-server.<domain>", and an xmppAddr;
//   - basicConstraints CA:FALSE, extendedKeyUsage serverAuth + clientAuth
//     (s2s peers authenticate with it in both roles).
// Each file is written to "<path>.tmp" then renamed, so a reader never sees
// half a file; the key file has mode 0600. Existing files are replaced.
absl::Status WriteSelfSignedCertificate(const std::vector<std::string>& domains,
                                        const std::string& cert_path, const std::string& key_path);

}  // namespace ringlet
