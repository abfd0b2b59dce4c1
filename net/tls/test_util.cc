#include "net/tls/test_util.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "net/tls/certificate.h"

namespace ringlet::tls_test {

std::string MakeTempDir() {
  static std::atomic<int> counter{0};
  const char* root = getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(root != nullptr ? root : "/tmp", "/tls_", getpid(), "_",
                                     counter.fetch_add(1), "_XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

absl::StatusOr<CertificateFilesForTest> MakeCertificate(const std::string& dir,
                                                        const std::vector<std::string>& domains) {
  CertificateFilesForTest files{absl::StrCat(dir, "/", domains.at(0), ".crt"),
                                absl::StrCat(dir, "/", domains.at(0), ".key")};
  absl::Status status = WriteSelfSignedCertificate(domains, files.cert_path, files.key_path);
  if (!status.ok()) return status;
  return files;
}

namespace {

absl::Status Deliver(TlsSession& from, TlsSession& to, std::string* plaintext, size_t piece_bytes,
                     const char* side) {
  std::string bytes = from.TakeCiphertext();
  std::string_view rest = bytes;
  while (!rest.empty()) {
    size_t n = piece_bytes == 0 ? rest.size() : std::min(piece_bytes, rest.size());
    absl::Status status = to.Feed(rest.substr(0, n), plaintext);
    if (!status.ok())
      return absl::Status(status.code(), absl::StrCat(side, ": ", status.message()));
    rest.remove_prefix(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Pump(TlsSession& client, TlsSession& server, PumpResult* result, size_t piece_bytes) {
  for (int round = 0; round < 100; ++round) {
    if (!client.HasCiphertext() && !server.HasCiphertext()) return absl::OkStatus();
    absl::Status status = Deliver(client, server, &result->server_plaintext, piece_bytes, "server");
    if (!status.ok()) return status;
    status = Deliver(server, client, &result->client_plaintext, piece_bytes, "client");
    if (!status.ok()) return status;
  }
  return absl::InternalError("Pump: no quiet after 100 rounds");
}

}  // namespace ringlet::tls_test
