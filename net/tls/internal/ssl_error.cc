#include "net/tls/internal/ssl_error.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace ringlet::tls_internal {

std::string DrainSslErrors() {
  std::string text;
  const char* file = nullptr;
  int line = 0;
  while (uint32_t packed = ERR_get_error_line(&file, &line)) {
    const char* reason = ERR_reason_error_string(packed);
    const char* library = ERR_lib_error_string(packed);
    if (!text.empty()) text += "; ";
    absl::StrAppend(&text, reason != nullptr ? reason : "unknown reason", " (",
                    library != nullptr ? library : "unknown library", ")");
  }
  if (text.empty()) text = "no BoringSSL error";
  return text;
}

absl::Status SslStatus(absl::StatusCode code, const std::string& what) {
  return absl::Status(code, absl::StrCat(what, ": ", DrainSslErrors()));
}

}  // namespace ringlet::tls_internal
