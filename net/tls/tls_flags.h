#pragma once

// Command-line flags of TLS, and their validation (called once by main at
// start-up):
//   --tls_cert         DOMAIN=PATH[,DOMAIN=PATH...]: PEM certificate chain
//                      (leaf first) of each served domain. The first domain's
//                      is the default for clients without a known SNI name.
//   --tls_key          DOMAIN=PATH[,...]: the PEM private key of each domain
//                      in --tls_cert (same set of domains; any order).
//   --tls_min_version  1.2 or 1.3.
// Both certificate flags empty means "none configured": ringletd then makes
// a self-signed certificate (WriteSelfSignedCertificate).

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "net/tls/tls_context.h"

ABSL_DECLARE_FLAG(std::vector<std::string>, tls_cert);
ABSL_DECLARE_FLAG(std::vector<std::string>, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_min_version);

namespace ringlet {

// Pairs certificate and key entries ("DOMAIN=PATH" each) by domain, in the
// order of `cert_entries`. InvalidArgument naming the flag and entry for a
// malformed entry, a domain listed twice, or a domain with a certificate but
// no key or the reverse. Files are not opened here (TlsContext does that).
absl::StatusOr<std::vector<TlsCertificateFiles>> ParseTlsCertificateEntries(
    const std::vector<std::string>& cert_entries, const std::vector<std::string>& key_entries);

// The same, over --tls_cert and --tls_key.
absl::StatusOr<std::vector<TlsCertificateFiles>> TlsCertificatesFromFlags();

// --tls_min_version, validated.
absl::StatusOr<TlsVersion> TlsMinVersionFromFlags();

}  // namespace ringlet
