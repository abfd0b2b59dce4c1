#include "net/tls/tls_session.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pool.h>
#include <openssl/x509.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/check.h"
#include "net/tls/internal/ssl_error.h"

namespace ringlet {
namespace {

constexpr char kChannelBindingLabel[] = "EXPORTER-Channel-Binding";
// One TLS record's worth of plaintext (RFC 8446 §5.1).
constexpr size_t kRecordPlaintextBytesMax = 16384;

// SSL ex_data slot holding the TlsClientSessionCache* of a client session.
int SessionCacheIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool IsIpLiteral(const std::string& name) {
  uint8_t address[16];
  return inet_pton(AF_INET, name.c_str(), address) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address) == 1;
}

}  // namespace

// The BIO between BoringSSL and a TlsSession: reads from the session's
// current input view, appends writes to its ciphertext queue. Its data
// pointer is the TlsSession, re-pointed when the session moves.
struct TlsBio {
  static const BIO_METHOD* Method() {
    static const BIO_METHOD* method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "ringlet TlsSession");
      CHECK(m != nullptr);
      CHECK(BIO_meth_set_read(m, &Read));
      CHECK(BIO_meth_set_write(m, &Write));
      CHECK(BIO_meth_set_ctrl(m, &Control));
      return m;
    }();
    return method;
  }

  static int Read(BIO* bio, char* out, int length) {
    auto* session = static_cast<TlsSession*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (session->input_.empty()) {
      // "Would block": BoringSSL reports SSL_ERROR_WANT_READ.
      BIO_set_retry_read(bio);
      return -1;
    }
    size_t n = std::min(session->input_.size(), static_cast<size_t>(length));
    memcpy(out, session->input_.data(), n);
    session->input_.remove_prefix(n);
    return static_cast<int>(n);
  }

  static int Write(BIO* bio, const char* in, int length) {
    auto* session = static_cast<TlsSession*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    session->ciphertext_.append(in, length);
    return length;
  }

  static long Control(BIO* /*bio*/, int command, long /*larg*/, void* /*parg*/) {
    // BoringSSL flushes after each flight; there is nothing to flush.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
  }
};

SSL_SESSION* TlsClientSessionCache::Find(std::string_view server_name) const {
  auto it = sessions_.find(std::string(server_name));
  return it == sessions_.end() ? nullptr : it->second.get();
}

void TlsClientSessionCache::Insert(std::string_view server_name,
                                   bssl::UniquePtr<SSL_SESSION> session) {
  std::string key(server_name);
  auto it = sessions_.find(key);
  if (it != sessions_.end()) {
    it->second = std::move(session);
    return;
  }
  if (entries_max_ == 0) return;
  if (sessions_.size() >= entries_max_) sessions_.erase(sessions_.begin());
  sessions_.emplace(std::move(key), std::move(session));
}

TlsSession::TlsSession(SSL* ssl) : ssl_(ssl) {}

TlsSession::TlsSession(TlsSession&& other) noexcept { *this = std::move(other); }

TlsSession& TlsSession::operator=(TlsSession&& other) noexcept {
  if (this == &other) return *this;
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = other.ssl_;
  other.ssl_ = nullptr;
  input_ = other.input_;
  other.input_ = {};
  ciphertext_ = std::move(other.ciphertext_);
  other.ciphertext_.clear();
  handshake_done_ = other.handshake_done_;
  peer_closed_ = other.peer_closed_;
  shutdown_sent_ = other.shutdown_sent_;
  failed_ = other.failed_;
  if (ssl_ != nullptr) AttachBio();
  return *this;
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

void TlsSession::AttachBio() { BIO_set_data(SSL_get_rbio(ssl_), this); }

absl::StatusOr<TlsSession> TlsSession::Make(const TlsContext& context) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context.default_ctx());
  if (ssl == nullptr) return tls_internal::SslStatus(absl::StatusCode::kInternal, "SSL_new");
  TlsSession session(ssl);
  BIO* bio = BIO_new(TlsBio::Method());
  if (bio == nullptr) return tls_internal::SslStatus(absl::StatusCode::kInternal, "BIO_new");
  BIO_set_init(bio, 1);
  // One BIO both ways: SSL_set_bio then takes a single reference.
  SSL_set_bio(ssl, bio, bio);
  // Free certificates, ALPN lists etc. once the handshake is over: they are
  // the bulk of an idle session's memory.
  SSL_set_shed_handshake_config(ssl, 1);
  // Returned by value: the BIO is re-pointed by the move.
  return session;
}

absl::StatusOr<TlsSession> TlsSession::Server(const TlsContext& context) {
  if (!context.is_server()) {
    return absl::InvalidArgumentError("TlsSession::Server needs a server TlsContext");
  }
  absl::StatusOr<TlsSession> session = Make(context);
  if (!session.ok()) return session.status();
  SSL_set_accept_state(session->ssl_);
  session->AttachBio();
  return session;
}

absl::StatusOr<TlsSession> TlsSession::Client(const TlsContext& context,
                                              const std::string& server_name,
                                              TlsClientSessionCache* cache) {
  if (context.is_server()) {
    return absl::InvalidArgumentError("TlsSession::Client needs a client TlsContext");
  }
  absl::StatusOr<TlsSession> made = Make(context);
  if (!made.ok()) return made.status();
  TlsSession session = std::move(made).value();
  SSL* ssl = session.ssl_;
  SSL_set_connect_state(ssl);
  if (!server_name.empty() && !IsIpLiteral(server_name) &&
      !SSL_set_tlsext_host_name(ssl, server_name.c_str())) {
    return tls_internal::SslStatus(absl::StatusCode::kInvalidArgument,
                                   absl::StrCat("bad server name '", server_name, "'"));
  }
  if (context.verify_server_name_ && !SSL_set1_host(ssl, server_name.c_str())) {
    return tls_internal::SslStatus(absl::StatusCode::kInvalidArgument,
                                   absl::StrCat("bad server name '", server_name, "'"));
  }
  session.set_session_cache(cache);
  if (cache != nullptr && !server_name.empty()) {
    if (SSL_SESSION* saved = cache->Find(server_name)) SSL_set_session(ssl, saved);
  }
  // Queue the ClientHello.
  int result = SSL_do_handshake(ssl);
  if (result <= 0) {
    absl::Status status = session.HandleError(result, "TLS handshake failed");
    if (!status.ok()) return status;
  }
  return session;
}

void TlsSession::set_session_cache(TlsClientSessionCache* cache) {
  SSL_set_ex_data(ssl_, SessionCacheIndex(), cache);
}

int TlsSession::OnNewClientSession(SSL* ssl, SSL_SESSION* session) {
  auto* cache = static_cast<TlsClientSessionCache*>(SSL_get_ex_data(ssl, SessionCacheIndex()));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (cache == nullptr || name == nullptr || !SSL_SESSION_is_resumable(session)) return 0;
  cache->Insert(name, bssl::UniquePtr<SSL_SESSION>(session));
  return 1;  // We took the reference.
}

absl::Status TlsSession::HandleError(int result, const char* what) {
  int error = SSL_get_error(ssl_, result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      ERR_clear_error();
      return absl::OkStatus();
    case SSL_ERROR_ZERO_RETURN:
      peer_closed_ = true;
      ERR_clear_error();
      return absl::OkStatus();
    case SSL_ERROR_SSL: {
      failed_ = true;
      std::string message = absl::StrCat(what, ": ", tls_internal::DrainSslErrors());
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK && SSL_get_verify_mode(ssl_) != SSL_VERIFY_NONE && !handshake_done_) {
        absl::StrAppend(&message, " (certificate: ", X509_verify_cert_error_string(verify), ")");
      }
      return absl::InvalidArgumentError(message);
    }
    default:
      failed_ = true;
      return absl::InternalError(absl::StrCat(what, ": unexpected SSL_get_error ", error, ": ",
                                              tls_internal::DrainSslErrors()));
  }
}

absl::Status TlsSession::Feed(std::string_view ciphertext, std::string* plaintext_out) {
  if (failed_) return absl::FailedPreconditionError("TLS session failed earlier");
  ERR_clear_error();
  input_ = ciphertext;
  absl::Status status;
  if (!handshake_done_) {
    int result = SSL_do_handshake(ssl_);
    if (result == 1) {
      handshake_done_ = true;
      if (SSL_is_server(ssl_)) {
        // A TLS 1.3 server holds its NewSessionTickets until it first
        // writes; a zero-byte write sends them now, so that resumption does
        // not depend on the protocol above speaking first, and the flight's
        // buffer is freed.
        SSL_write(ssl_, "", 0);
        ERR_clear_error();
      }
    } else {
      status = HandleError(result, "TLS handshake failed");
    }
  }
  // Read application data (and, in TLS 1.3, post-handshake messages such as
  // tickets) until the input is used up. BoringSSL asks the BIO only for the
  // bytes of the record it is assembling, so the loop ends exactly when the
  // input is empty and no whole record is left.
  char buffer[kRecordPlaintextBytesMax];
  while (status.ok() && handshake_done_ && !peer_closed_) {
    int result = SSL_read(ssl_, buffer, sizeof(buffer));
    if (result > 0) {
      plaintext_out->append(buffer, result);
      continue;
    }
    status = HandleError(result, "TLS record error");
    break;
  }
  // Whatever the peer sends after close_notify is dropped.
  input_ = {};
  return status;
}

absl::Status TlsSession::Write(std::string_view plaintext) {
  if (failed_) return absl::FailedPreconditionError("TLS session failed earlier");
  if (!handshake_done_) return absl::FailedPreconditionError("TLS handshake not done");
  if (shutdown_sent_) return absl::FailedPreconditionError("TLS session shut down");
  ERR_clear_error();
  while (!plaintext.empty()) {
    int chunk = static_cast<int>(std::min<size_t>(plaintext.size(), INT_MAX / 2));
    int result = SSL_write(ssl_, plaintext.data(), chunk);
    if (result <= 0) {
      absl::Status status = HandleError(result, "TLS write failed");
      // With our BIO a write never blocks; WANT_READ here is a bug.
      return status.ok() ? absl::InternalError("TLS write did not complete") : status;
    }
    plaintext.remove_prefix(result);
  }
  return absl::OkStatus();
}

absl::Status TlsSession::Shutdown() {
  if (shutdown_sent_) return absl::OkStatus();
  if (failed_) return absl::FailedPreconditionError("TLS session failed earlier");
  shutdown_sent_ = true;
  if (!handshake_done_) return absl::OkStatus();  // Nothing to protect; just close.
  ERR_clear_error();
  // 0: close_notify sent, the peer's not yet seen; 1: both done.
  if (SSL_shutdown(ssl_) < 0) {
    failed_ = true;
    return tls_internal::SslStatus(absl::StatusCode::kInternal, "TLS shutdown failed");
  }
  return absl::OkStatus();
}

std::string TlsSession::TakeCiphertext() {
  std::string out = std::move(ciphertext_);
  ciphertext_ = std::string();
  return out;
}

bool TlsSession::is_server() const { return SSL_is_server(ssl_); }
uint16_t TlsSession::version() const { return SSL_version(ssl_); }
std::string_view TlsSession::VersionName() const { return SSL_get_version(ssl_); }

std::string_view TlsSession::CipherName() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  return cipher == nullptr ? std::string_view() : SSL_CIPHER_get_name(cipher);
}

bool TlsSession::session_reused() const { return SSL_session_reused(ssl_); }

std::string_view TlsSession::Alpn() const {
  const uint8_t* data = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  return std::string_view(reinterpret_cast<const char*>(data), length);
}

std::string_view TlsSession::ServerName() const {
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

absl::StatusOr<std::string> TlsSession::ExportChannelBinding() const {
  if (!handshake_done_ || failed_) {
    return absl::FailedPreconditionError("tls-exporter: the TLS handshake is not done");
  }
  if (SSL_version(ssl_) != TLS1_3_VERSION) {
    return absl::FailedPreconditionError(
        absl::StrCat("tls-exporter channel binding needs TLS 1.3 (RFC 9266), this is ",
                     std::string(VersionName())));
  }
  std::string binding(kChannelBindingBytes, '\0');
  if (!SSL_export_keying_material(ssl_, reinterpret_cast<uint8_t*>(binding.data()), binding.size(),
                                  kChannelBindingLabel, sizeof(kChannelBindingLabel) - 1, nullptr,
                                  0,
                                  /*use_context=*/1)) {
    return tls_internal::SslStatus(absl::StatusCode::kInternal, "tls-exporter failed");
  }
  return binding;
}

std::vector<std::string_view> TlsSession::PeerCertificateChainDer() const {
  std::vector<std::string_view> chain;
  const STACK_OF(CRYPTO_BUFFER)* buffers = SSL_get0_peer_certificates(ssl_);
  for (size_t i = 0; buffers != nullptr && i < sk_CRYPTO_BUFFER_num(buffers); ++i) {
    const CRYPTO_BUFFER* buffer = sk_CRYPTO_BUFFER_value(buffers, i);
    chain.emplace_back(reinterpret_cast<const char*>(CRYPTO_BUFFER_data(buffer)),
                       CRYPTO_BUFFER_len(buffer));
  }
  return chain;
}

absl::StatusOr<CertificateNames> TlsSession::PeerCertificateNames() const {
  std::vector<std::string_view> chain = PeerCertificateChainDer();
  if (chain.empty()) return absl::NotFoundError("the peer sent no certificate");
  return CertificateNamesFromDer(chain.front());
}

bool TlsSession::peer_certificate_verified() const {
  return handshake_done_ && !PeerCertificateChainDer().empty() &&
         SSL_get_verify_result(ssl_) == X509_V_OK;
}

}  // namespace ringlet
