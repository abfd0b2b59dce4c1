#pragma once

// TlsSession: one TLS connection as a pure byte transformer. The ring does
// the socket I/O; BoringSSL only turns received ciphertext into plaintext and
// plaintext into ciphertext, through a BIO that reads the caller's bytes in
// place and appends what it writes to one owned string (no fds, no copies
// into BoringSSL's BIO buffers).
//
// Use (c2s):
//   on receive:   status = tls.Feed(bytes, &plaintext);   // appends
//                 if (tls.HasCiphertext()) conn.Send(tls.TakeCiphertext());
//                 if (!status.ok()) { close; }            // alert already queued
//   to send:      tls.Write(xml); conn.Send(tls.TakeCiphertext());
//   to close:     tls.Shutdown(); conn.Send(tls.TakeCiphertext()); close.
// A client session has its ClientHello queued as soon as it is made.
//
// Lifecycle: made from a TlsContext that outlives it; destroyed with its
// connection. After an error every call fails; after the peer's
// close_notify, Feed() yields nothing more.
// Shards: used by one shard at a time, with no thread-local state: it moves
// with its connection (hand-over) by std::move. A client session's
// TlsClientSessionCache is shard-local: re-point it with
// set_session_cache() (or null) when the session moves.
// Memory and limits: after the handshake BoringSSL frees its handshake state
// and configuration (SSL_set_shed_handshake_config) and its record buffers
// whenever they are empty, and a server flushes its TLS 1.3 tickets at once,
// so an idle session holds the SSL object and its SSL_SESSION. Measured
// with glibc's in-use heap count over 200 sessions (tls_session_test.cc,
// IdleSessionMemory; TLS 1.3, P-256 certificate): ~2.7 KiB (2,733 bytes) per idle server
// session (c2s, no client certificate), on top of a plain session's 4 KiB
// budget; ~8.1 KiB (8,320 bytes) per idle verifying client session (it keeps the server's
// chain, also parsed for X.509 verification). Feed() consumes all of its
// input: a partial record waits inside BoringSSL (at most one record,
// ~16.7 KiB); the plaintext appended is at most what the input's records
// contain, so the caller bounds plaintext by bounding what it feeds. Queued
// ciphertext is bounded by what the caller writes and takes.

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/tls/certificate.h"
#include "net/tls/tls_context.h"

namespace ringlet {

// Client-side session resumption: the latest resumable session per server
// name. Shard-local (no locks): one per shard or per load-generator thread.
// Bounded by entries_max; when full an arbitrary entry is dropped.
class TlsClientSessionCache {
 public:
  explicit TlsClientSessionCache(size_t entries_max = 1024) : entries_max_(entries_max) {}
  size_t size() const { return sessions_.size(); }
  void Clear() { sessions_.clear(); }

 private:
  friend class TlsSession;
  SSL_SESSION* Find(std::string_view server_name) const;  // Borrowed.
  void Insert(std::string_view server_name, bssl::UniquePtr<SSL_SESSION> session);

  size_t entries_max_;
  absl::flat_hash_map<std::string, bssl::UniquePtr<SSL_SESSION>> sessions_;
};

class TlsSession {
 public:
  // Length of the tls-exporter channel binding (RFC 9266).
  static constexpr size_t kChannelBindingBytes = 32;

  // Starts a server session; `context` must be a server context.
  static absl::StatusOr<TlsSession> Server(const TlsContext& context);
  // Starts a client session for `server_name` (sent as SNI unless it is an
  // IP literal or empty; verified against the certificate if the context
  // has a CA file; the resumption key in `cache`, which may be null). The
  // ClientHello is queued on return.
  static absl::StatusOr<TlsSession> Client(const TlsContext& context,
                                           const std::string& server_name,
                                           TlsClientSessionCache* cache = nullptr);

  TlsSession(TlsSession&& other) noexcept;
  TlsSession& operator=(TlsSession&& other) noexcept;
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;
  ~TlsSession();

  // Consumes all of `ciphertext` (any split: one byte or many records),
  // advances the handshake and appends decrypted application data to
  // `*plaintext_out`. Bytes to send back (handshake, tickets, alerts) are
  // queued: check HasCiphertext() after every call. OK also when more bytes
  // are needed. Errors: InvalidArgument "TLS handshake failed: <reason>" or
  // "TLS record error: <reason>" (the BoringSSL reason, e.g.
  // DECRYPTION_FAILED_OR_BAD_RECORD_MAC); an alert for the peer is queued and
  // the session is dead. Data that follows the peer's close_notify is ignored.
  absl::Status Feed(std::string_view ciphertext, std::string* plaintext_out);

  // Encrypts `plaintext` into queued ciphertext. FailedPrecondition before
  // the handshake is done, after Shutdown() or an error.
  absl::Status Write(std::string_view plaintext);

  // Queues close_notify. Nothing can be written after it. Idempotent.
  absl::Status Shutdown();

  bool HasCiphertext() const { return !ciphertext_.empty(); }
  // Returns the queued ciphertext (to pass to Connection::Send) and leaves
  // the queue empty, holding no memory.
  std::string TakeCiphertext();
  size_t ciphertext_bytes() const { return ciphertext_.size(); }

  bool handshake_done() const { return handshake_done_; }
  bool failed() const { return failed_; }
  // The peer sent close_notify: its stream ended cleanly.
  bool peer_closed() const { return peer_closed_; }
  bool is_server() const;

  // After the handshake: the negotiated protocol version (TLS1_2_VERSION or
  // TLS1_3_VERSION), its name ("TLSv1.3"), the cipher's name.
  uint16_t version() const;
  std::string_view VersionName() const;
  std::string_view CipherName() const;
  // True if this connection resumed an earlier session.
  bool session_reused() const;
  // The ALPN protocol agreed on, or empty. Valid while the session lives.
  std::string_view Alpn() const;
  // Server: the SNI name the client sent (empty if none); client: the one it
  // sent. Valid while the session lives.
  std::string_view ServerName() const;

  // Returns the tls-exporter channel binding (RFC 9266): the keying material
  // exporter with label "EXPORTER-Channel-Binding", an empty context, 32
  // bytes. Defined only for TLS 1.3: on TLS 1.2 (whose exporter is unsafe
  // without extended master secret), or before the handshake, returns
  // FailedPrecondition — SASL must then not offer the -PLUS mechanisms.
  absl::StatusOr<std::string> ExportChannelBinding() const;

  // The peer's certificate chain in DER, leaf first; empty if it sent none
  // (a c2s client usually). Views valid while the session lives.
  std::vector<std::string_view> PeerCertificateChainDer() const;
  // The names in the peer's leaf certificate (dNSName, SRV-ID, xmppAddr);
  // NotFound if it sent none. Says nothing about trust: see below.
  absl::StatusOr<CertificateNames> PeerCertificateNames() const;
  // True if the peer sent a certificate chain that verified against the
  // context's CA file (a client additionally checks the server name).
  bool peer_certificate_verified() const;

  // Re-points a client session's resumption cache (after a hand-over to a
  // shard with its own cache), or detaches it with null.
  void set_session_cache(TlsClientSessionCache* cache);

 private:
  friend class TlsContext;
  friend struct TlsBio;

  explicit TlsSession(SSL* ssl);
  static absl::StatusOr<TlsSession> Make(const TlsContext& context);
  // SSL_CTX new-session callback: stores a client session in its cache.
  static int OnNewClientSession(SSL* ssl, SSL_SESSION* session);
  // Turns an SSL_get_error() result into a status; marks the session failed
  // on real errors.
  absl::Status HandleError(int result, const char* what);
  // Points the BIO at this object (after construction or a move).
  void AttachBio();

  SSL* ssl_ = nullptr;
  // Ciphertext being fed; valid only during Feed().
  std::string_view input_;
  // Ciphertext produced by BoringSSL, waiting for TakeCiphertext().
  std::string ciphertext_;
  bool handshake_done_ = false;
  bool peer_closed_ = false;
  bool shutdown_sent_ = false;
  bool failed_ = false;
};

}  // namespace ringlet
