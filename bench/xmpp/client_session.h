#pragma once

// ClientSession: one XMPP client connection of the load generator, speaking
// only what RFC 6120/6121 require so that it works against any compliant
// server: stream header, STARTTLS (optional), SASL SCRAM-SHA-256 or PLAIN,
// stream restart, resource binding, the legacy session iq when the server
// says it is not optional, and (optionally) initial presence. After login
// every top-level stanza is handed to the observer, parsed.
//
// Lifecycle: made by the scenario on a load-generator shard once the TCP
// connect succeeded; it is the connection's handler and deletes itself in
// OnClosed() after telling the observer. Shard-local: all calls happen on
// that shard. Memory: one XmlTokenizer, one TLS session if any, the
// partial plaintext of TLS records; nothing per stanza is kept.
//
// Errors are reported, never swallowed: a stream error, a SASL failure, a
// bind error, a TLS failure or an unexpected close reaches the observer
// once as OnLoginFailed() (before login) or OnSessionError() (after), with
// an ErrorKind for the counters.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "net/connection.h"
#include "net/tls/tls_context.h"
#include "net/tls/tls_session.h"
#include "xmpp/sasl/scram_client.h"
#include "xmpp/xml/stanza.h"
#include "xmpp/xml/tokenizer.h"

namespace ringlet::bench {

enum class SaslChoice { kScramSha256, kPlain };

enum class ErrorKind {
  kConnect,       // TCP connect failed
  kTls,           // TLS handshake/record error, or STARTTLS refused/missing
  kAuth,          // SASL <failure/>, or no usable mechanism
  kBind,          // bind/session iq error
  kStreamError,   // <stream:error/> from the server
  kProtocol,      // unparseable or unexpected input
  kDisconnect,    // the server closed the connection unexpectedly
  kStanzaError,   // a stanza of type='error' after login
  kCount,
};
const char* ErrorKindName(ErrorKind kind);

// What a session needs to log in; shared read-only by many sessions.
struct LoginConfig {
  std::string domain;
  std::string password;
  std::string resource = "bench";
  SaslChoice sasl = SaslChoice::kScramSha256;
  bool starttls = false;
  const TlsContext* tls_context = nullptr;  // required when starttls
  bool initial_presence = true;
  xml::XmlLimits xml_limits;
};

class ClientSession;

// Scenario callbacks, on the session's shard.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  // Bound (and presence sent, if configured).
  virtual void OnLoggedIn(ClientSession& session) = 0;
  // A stanza after login. `stanza` is valid only during the call.
  virtual void OnStanza(ClientSession& session, const xml::ElementView& stanza) = 0;
  // Something went wrong before login; the connection is being closed.
  virtual void OnLoginFailed(ClientSession& session, ErrorKind kind, const std::string& detail) = 0;
  // Something went wrong after login (the session may be closing).
  virtual void OnSessionError(ClientSession& session, ErrorKind kind, const std::string& detail) = 0;
  // The connection is gone; `session` is deleted right after this call.
  virtual void OnSessionClosed(ClientSession& session) = 0;
};

class ClientSession final : public ConnectionHandler {
 public:
  // `index` is the account number (the user name is made by the caller);
  // `parser` is the shard's shared StanzaParser; `tls_cache` may be null.
  ClientSession(const LoginConfig* config, SessionObserver* observer, xml::StanzaParser* parser,
                TlsClientSessionCache* tls_cache, Connection* connection, uint32_t index,
                std::string username);
  ~ClientSession() override;

  // Starts the connection and sends the stream header; `started_ns`
  // (MonotonicNanoseconds) is when the attempt began, for login latency.
  void Start(int64_t started_ns);

  // Sends XML on the logged-in stream (through TLS if negotiated).
  void Send(std::string_view xml);
  // Sends </stream:stream> and closes orderly.
  void Close();

  uint32_t index() const { return index_; }
  bool logged_in() const { return state_ == State::kReady; }
  // The full JID the server bound (valid once logged in).
  const std::string& jid() const { return jid_; }
  int64_t started_ns() const { return started_ns_; }
  void* user_data() const { return user_data_; }
  void set_user_data(void* data) { user_data_ = data; }

  void OnReceive(Connection& connection, std::string_view bytes) override;
  void OnClosed(Connection& connection, const absl::Status& reason) override;

 private:
  enum class State {
    kAwaitHeader,
    kAwaitFeatures,
    kAwaitProceed,
    kTlsHandshake,
    kAwaitSasl,
    kAwaitBind,
    kAwaitSession,
    kReady,
    kClosing,
  };

  void SendRaw(std::string_view xml);
  void SendHeader();
  // Feeds plaintext to the tokenizer and handles every event; returns false
  // once the session is failing (stop feeding).
  bool Consume(std::string_view plaintext);
  bool OnElement(std::string_view bytes);
  bool OnFeatures(const xml::ElementView& features);
  bool OnSasl(const xml::ElementView& element);
  bool OnBindResult(const xml::ElementView& iq);
  void Ready();
  bool Fail(ErrorKind kind, std::string detail);

  const LoginConfig* const config_;
  SessionObserver* const observer_;
  xml::StanzaParser* const parser_;
  TlsClientSessionCache* const tls_cache_;
  Connection* const connection_;
  const uint32_t index_;
  const std::string username_;
  State state_ = State::kAwaitHeader;
  xml::XmlTokenizer tokenizer_;
  std::optional<TlsSession> tls_;
  std::string plaintext_;
  std::unique_ptr<sasl::ScramClient> scram_;
  bool authenticated_ = false;
  bool session_required_ = false;
  bool failed_ = false;
  std::string jid_;
  int64_t started_ns_ = 0;
  void* user_data_ = nullptr;
};

}  // namespace ringlet::bench
