#pragma once

// Test helpers for net/tls: certificates in a temporary directory, and two
// TlsSessions talking to each other in memory.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/tls/tls_session.h"

namespace ringlet::tls_test {

// A directory under $TEST_TMPDIR (or /tmp) unique to this process and call.
std::string MakeTempDir();

// Generated self-signed certificate files for `domains`.
struct CertificateFilesForTest {
  std::string cert_path;
  std::string key_path;
};
absl::StatusOr<CertificateFilesForTest> MakeCertificate(const std::string& dir,
                                                        const std::vector<std::string>& domains);

// The plaintext each side received while pumping.
struct PumpResult {
  std::string client_plaintext;
  std::string server_plaintext;
};

// Moves ciphertext between `client` and `server` until neither has any left,
// feeding it in pieces of `piece_bytes` (0: all at once). Stops at the first
// error and returns it (prefixed with the side).
absl::Status Pump(TlsSession& client, TlsSession& server, PumpResult* result,
                  size_t piece_bytes = 0);

}  // namespace ringlet::tls_test
