#include "net/tls/tls_flags.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::vector<std::string>, tls_cert, {},
          "PEM certificate chain per domain, as DOMAIN=PATH[,DOMAIN=PATH...]; the first "
          "domain's is the default when the client's SNI names no configured domain. Empty "
          "(with --tls_key empty): a self-signed certificate is created in the data dir.");
ABSL_FLAG(std::vector<std::string>, tls_key, {},
          "PEM private key per domain of --tls_cert, as DOMAIN=PATH[,DOMAIN=PATH...].");
ABSL_FLAG(std::string, tls_min_version, "1.2", "Lowest TLS version accepted: 1.2 or 1.3.");

namespace ringlet {
namespace {

// Splits "DOMAIN=PATH"; the domain is lower-cased.
absl::StatusOr<std::pair<std::string, std::string>> SplitEntry(const char* flag,
                                                               const std::string& entry) {
  size_t equals = entry.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == entry.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": '", entry, "' is not DOMAIN=PATH"));
  }
  return std::make_pair(absl::AsciiStrToLower(entry.substr(0, equals)), entry.substr(equals + 1));
}

}  // namespace

absl::StatusOr<std::vector<TlsCertificateFiles>> ParseTlsCertificateEntries(
    const std::vector<std::string>& cert_entries, const std::vector<std::string>& key_entries) {
  absl::flat_hash_map<std::string, std::string> keys;
  for (const std::string& entry : key_entries) {
    absl::StatusOr<std::pair<std::string, std::string>> split = SplitEntry("tls_key", entry);
    if (!split.ok()) return split.status();
    if (!keys.emplace(split->first, split->second).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls_key: domain ", split->first, " is listed twice"));
    }
  }
  std::vector<TlsCertificateFiles> result;
  absl::flat_hash_map<std::string, bool> seen;
  for (const std::string& entry : cert_entries) {
    absl::StatusOr<std::pair<std::string, std::string>> split = SplitEntry("tls_cert", entry);
    if (!split.ok()) return split.status();
    const std::string& domain = split->first;
    if (!seen.emplace(domain, true).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls_cert: domain ", domain, " is listed twice"));
    }
    auto key = keys.find(domain);
    if (key == keys.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls_cert names domain ", domain, " but --tls_key has no key for it"));
    }
    result.push_back(TlsCertificateFiles{domain, split->second, key->second});
  }
  for (const auto& [domain, path] : keys) {
    if (!seen.contains(domain)) {
      return absl::InvalidArgumentError(absl::StrCat("--tls_key names domain ", domain,
                                                     " but --tls_cert has no certificate for it"));
    }
  }
  return result;
}

absl::StatusOr<std::vector<TlsCertificateFiles>> TlsCertificatesFromFlags() {
  return ParseTlsCertificateEntries(absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key));
}

absl::StatusOr<TlsVersion> TlsMinVersionFromFlags() {
  absl::StatusOr<TlsVersion> version = ParseTlsVersion(absl::GetFlag(FLAGS_tls_min_version));
  if (!version.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_min_version: ", version.status().message()));
  }
  return version;
}

}  // namespace ringlet
