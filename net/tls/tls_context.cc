#include "net/tls/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/tls/internal/ssl_error.h"
#include "net/tls/tls_session.h"

namespace ringlet {
namespace {

using tls_internal::DrainSslErrors;

// Session ID context: resumption is only offered within ringlet servers.
constexpr char kSessionIdContext[] = "ringlet";

// Checks that `path` is a readable regular file, for a message that names
// the real problem (BoringSSL's file errors are terse).
absl::Status CheckReadableFile(const std::string& what, const std::string& path) {
  struct stat info;
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": no file given"));
  if (stat(path.c_str(), &info) != 0 || access(path.c_str(), R_OK) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": cannot read ", path, ": ", strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, " is not a file"));
  }
  return absl::OkStatus();
}

absl::Status LoadCertificate(SSL_CTX* ctx, const TlsCertificateFiles& files,
                             const std::string& what) {
  absl::Status status = CheckReadableFile(what + " certificate chain", files.chain_path);
  if (!status.ok()) return status;
  status = CheckReadableFile(what + " private key", files.key_path);
  if (!status.ok()) return status;
  ERR_clear_error();
  if (!SSL_CTX_use_certificate_chain_file(ctx, files.chain_path.c_str())) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no PEM certificate chain in ",
                                                   files.chain_path, ": ", DrainSslErrors()));
  }
  // The key is read here rather than by SSL_CTX_use_PrivateKey_file so that
  // "not a key" and "not this certificate's key" get different messages.
  bssl::UniquePtr<BIO> key_file(BIO_new_file(files.key_path.c_str(), "r"));
  bssl::UniquePtr<EVP_PKEY> key(
      key_file == nullptr ? nullptr
                          : PEM_read_bio_PrivateKey(key_file.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": no PEM private key in ", files.key_path, ": ", DrainSslErrors()));
  }
  if (!SSL_CTX_use_PrivateKey(ctx, key.get()) || !SSL_CTX_check_private_key(ctx)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the key in ", files.key_path,
                                                   " does not match the certificate in ",
                                                   files.chain_path, ": ", DrainSslErrors()));
  }
  return absl::OkStatus();
}

absl::Status LoadTrustAnchors(SSL_CTX* ctx, const std::string& what, const std::string& path) {
  absl::Status status = CheckReadableFile(what, path);
  if (!status.ok()) return status;
  ERR_clear_error();
  if (!SSL_CTX_load_verify_locations(ctx, path.c_str(), nullptr)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": no PEM certificates in ", path, ": ", DrainSslErrors()));
  }
  return absl::OkStatus();
}

absl::Status CheckAlpnProtocols(const std::vector<std::string>& protocols) {
  for (const std::string& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("ALPN protocol '", protocol, "' must be 1 to 255 bytes"));
    }
  }
  return absl::OkStatus();
}

// Server: keeps the handshake going whatever the client certificate; the
// result is read later with SSL_get_verify_result().
int AcceptAnyCertificate(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) { return 1; }

}  // namespace

// Callbacks that need TlsContext's private members.
struct TlsContextCallbacks {
  static int ServerName(SSL* ssl, int* /*alert*/, void* arg) {
    const auto* context = static_cast<const TlsContext*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) return SSL_TLSEXT_ERR_OK;
    if (SSL_CTX* chosen = context->ContextForServerName(name)) {
      if (SSL_set_SSL_CTX(ssl, chosen) == nullptr) return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
  }

  static int SelectAlpn(SSL* /*ssl*/, const uint8_t** out, uint8_t* out_bytes, const uint8_t* in,
                        unsigned in_bytes, void* arg) {
    const auto* context = static_cast<const TlsContext*>(arg);
    return context->SelectAlpn(in, in_bytes, out, out_bytes) ? SSL_TLSEXT_ERR_OK
                                                             : SSL_TLSEXT_ERR_NOACK;
  }
};

absl::StatusOr<TlsVersion> ParseTlsVersion(std::string_view text) {
  if (text == "1.2") return TlsVersion::k1_2;
  if (text == "1.3") return TlsVersion::k1_3;
  return absl::InvalidArgumentError(
      absl::StrCat("TLS version must be 1.2 or 1.3, not '", std::string(text), "'"));
}

TlsContext::~TlsContext() = default;

absl::Status TlsContext::ConfigureCommon(SSL_CTX* ctx, TlsVersion min_version,
                                         TlsVersion max_version) {
  if (!SSL_CTX_set_min_proto_version(ctx, static_cast<uint16_t>(min_version)) ||
      !SSL_CTX_set_max_proto_version(ctx, static_cast<uint16_t>(max_version))) {
    return tls_internal::SslStatus(absl::StatusCode::kInternal, "setting TLS versions");
  }
  // Renegotiation stays disabled (BoringSSL's default), which also lets a
  // client shed its handshake configuration.
  return absl::OkStatus();
}

SSL_CTX* TlsContext::ContextForServerName(std::string_view server_name) const {
  for (size_t i = 1; i < domains_.size(); ++i) {
    if (absl::EqualsIgnoreCase(domains_[i],
                               absl::string_view(server_name.data(), server_name.size()))) {
      return contexts_[i].get();
    }
  }
  return nullptr;
}

bool TlsContext::SelectAlpn(const uint8_t* client_list, size_t client_list_bytes,
                            const uint8_t** selected, uint8_t* selected_bytes) const {
  for (const std::string& ours : alpn_protocols_) {
    size_t offset = 0;
    while (offset < client_list_bytes) {
      size_t length = client_list[offset];
      const uint8_t* name = client_list + offset + 1;
      if (offset + 1 + length > client_list_bytes) break;  // BoringSSL checked; be safe.
      if (length == ours.size() && memcmp(name, ours.data(), length) == 0) {
        *selected = name;
        *selected_bytes = static_cast<uint8_t>(length);
        return true;
      }
      offset += 1 + length;
    }
  }
  return false;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::CreateServer(
    const TlsServerOptions& options) {
  if (options.certificates.empty()) {
    return absl::InvalidArgumentError("a TLS server needs at least one certificate");
  }
  absl::Status status = CheckAlpnProtocols(options.alpn_protocols);
  if (!status.ok()) return status;
  std::unique_ptr<TlsContext> context(new TlsContext(/*is_server=*/true));
  context->alpn_protocols_ = options.alpn_protocols;
  for (const TlsCertificateFiles& files : options.certificates) {
    if (files.domain.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", files.chain_path, " has no domain"));
    }
    for (const std::string& seen : context->domains_) {
      if (absl::EqualsIgnoreCase(seen, files.domain)) {
        return absl::InvalidArgumentError(
            absl::StrCat("domain ", files.domain, " has two certificates"));
      }
    }
    bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
    if (ctx == nullptr) return tls_internal::SslStatus(absl::StatusCode::kInternal, "SSL_CTX_new");
    status = context->ConfigureCommon(ctx.get(), options.min_version, TlsVersion::k1_3);
    if (!status.ok()) return status;
    status = LoadCertificate(ctx.get(), files, "domain " + files.domain);
    if (!status.ok()) return status;
    // Tickets only: no per-session state on the server (see the header).
    // SSL_SESS_CACHE_OFF would also stop TLS 1.3 tickets, so the cache is
    // "on" with its internal store and lookup disabled.
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_set_session_id_context(ctx.get(), reinterpret_cast<const uint8_t*>(kSessionIdContext),
                                   sizeof(kSessionIdContext) - 1);
    // Every per-domain context carries the same callbacks: after the SNI
    // switch BoringSSL reads ALPN and verification from the chosen one
    // (session settings stay with the first).
    SSL_CTX_set_tlsext_servername_callback(ctx.get(), &TlsContextCallbacks::ServerName);
    SSL_CTX_set_tlsext_servername_arg(ctx.get(), context.get());
    if (!options.alpn_protocols.empty()) {
      SSL_CTX_set_alpn_select_cb(ctx.get(), &TlsContextCallbacks::SelectAlpn, context.get());
    }
    if (options.request_client_certificate) {
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, &AcceptAnyCertificate);
      if (!options.client_ca_file.empty()) {
        status = LoadTrustAnchors(ctx.get(), "client CA file", options.client_ca_file);
        if (!status.ok()) return status;
      }
    }
    context->domains_.push_back(files.domain);
    context->contexts_.push_back(std::move(ctx));
  }
  return context;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::CreateClient(
    const TlsClientOptions& options) {
  if (options.ca_file.empty() == !options.insecure_accept_any_certificate) {
    return absl::InvalidArgumentError(
        "a TLS client needs exactly one of a CA file and insecure_accept_any_certificate");
  }
  if (static_cast<uint16_t>(options.max_version) < static_cast<uint16_t>(options.min_version)) {
    return absl::InvalidArgumentError("TLS max_version is below min_version");
  }
  absl::Status status = CheckAlpnProtocols(options.alpn_protocols);
  if (!status.ok()) return status;
  std::unique_ptr<TlsContext> context(new TlsContext(/*is_server=*/false));
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (ctx == nullptr) return tls_internal::SslStatus(absl::StatusCode::kInternal, "SSL_CTX_new");
  status = context->ConfigureCommon(ctx.get(), options.min_version, options.max_version);
  if (!status.ok()) return status;
  if (!options.alpn_protocols.empty()) {
    std::string wire;
    for (const std::string& protocol : options.alpn_protocols) {
      wire.push_back(static_cast<char>(protocol.size()));
      wire += protocol;
    }
    // Returns 0 on success, unlike most of the API.
    if (SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const uint8_t*>(wire.data()),
                                wire.size()) != 0) {
      return tls_internal::SslStatus(absl::StatusCode::kInternal, "setting ALPN");
    }
  }
  if (options.insecure_accept_any_certificate) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    status = LoadTrustAnchors(ctx.get(), "CA file", options.ca_file);
    if (!status.ok()) return status;
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    context->verify_server_name_ = true;
  }
  if (options.client_certificate.has_value()) {
    status = LoadCertificate(ctx.get(), *options.client_certificate, "client certificate");
    if (!status.ok()) return status;
  }
  // Sessions go to the TlsClientSessionCache given to each session; the
  // context keeps none.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(ctx.get(), &TlsSession::OnNewClientSession);
  context->contexts_.push_back(std::move(ctx));
  return context;
}

}  // namespace ringlet
