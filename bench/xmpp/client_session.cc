#include "bench/xmpp/client_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bench/xmpp/load_stats.h"
#include "xmpp/sasl/scram_primitives.h"
#include "xmpp/xml/namespaces.h"

namespace ringlet::bench {
namespace {

using xml::kNsBind;
using xml::kNsSasl;
using xml::kNsSession;
using xml::kNsTls;
constexpr std::string_view kNsPing = "urn:xmpp:ping";  // as im::kNsPing; bench does not link xmpp/im
constexpr char kBindId[] = "bind_1";
constexpr char kSessionId[] = "sess_1";

// Escapes a value for a single-quoted attribute.
std::string EscapeAttribute(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '\'': out += "&apos;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Names the first child element (a stream error or SASL failure condition).
std::string FirstChildName(const xml::ElementView& element) {
  xml::ElementView child = element.FirstChild();
  return child ? std::string(child.name()) : std::string("(no condition)");
}

}  // namespace

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect: return "connect";
    case ErrorKind::kTls: return "tls";
    case ErrorKind::kAuth: return "auth";
    case ErrorKind::kBind: return "bind";
    case ErrorKind::kStreamError: return "stream_error";
    case ErrorKind::kProtocol: return "protocol";
    case ErrorKind::kDisconnect: return "disconnect";
    case ErrorKind::kStanzaError: return "stanza_error";
    case ErrorKind::kCount: break;
  }
  return "?";
}

ClientSession::ClientSession(const LoginConfig* config, SessionObserver* observer,
                             xml::StanzaParser* parser, TlsClientSessionCache* tls_cache,
                             Connection* connection, uint32_t index, std::string username)
    : config_(config),
      observer_(observer),
      parser_(parser),
      tls_cache_(tls_cache),
      connection_(connection),
      index_(index),
      username_(std::move(username)),
      tokenizer_(config->xml_limits) {}

ClientSession::~ClientSession() = default;

void ClientSession::Start(int64_t started_ns) {
  started_ns_ = started_ns;
  connection_->set_handler(this);
  connection_->Start();
  SendHeader();
}

void ClientSession::SendHeader() {
  SendRaw(absl::StrCat(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' to='",
      EscapeAttribute(config_->domain), "' version='1.0'>"));
}

void ClientSession::SendRaw(std::string_view xml) {
  if (!connection_->open()) return;
  absl::Status status;
  if (tls_.has_value()) {
    status = tls_->Write(xml);
    if (status.ok() && tls_->HasCiphertext()) status = connection_->Send(tls_->TakeCiphertext());
  } else {
    status = connection_->Send(xml);
  }
  if (!status.ok()) Fail(ErrorKind::kProtocol, absl::StrCat("send: ", status.ToString()));
}

void ClientSession::Send(std::string_view xml) {
  if (state_ == State::kReady) SendRaw(xml);
}

void ClientSession::Close() {
  if (state_ == State::kClosing) return;
  const bool stream_open = state_ != State::kTlsHandshake;
  state_ = State::kClosing;
  if (!connection_->open()) return;
  if (stream_open) SendRaw("</stream:stream>");
  if (tls_.has_value() && tls_->handshake_done()) {
    (void)tls_->Shutdown();
    if (tls_->HasCiphertext()) (void)connection_->Send(tls_->TakeCiphertext());
  }
  connection_->Close(CloseMode::kOrderly);
}

bool ClientSession::Fail(ErrorKind kind, std::string detail) {
  if (failed_ || state_ == State::kClosing) return false;
  failed_ = true;
  if (state_ == State::kReady) {
    observer_->OnSessionError(*this, kind, detail);
  } else {
    observer_->OnLoginFailed(*this, kind, detail);
  }
  state_ = State::kClosing;
  connection_->Close(CloseMode::kAbort, absl::AbortedError(detail));
  return false;
}

void ClientSession::OnReceive(Connection&, std::string_view bytes) {
  if (failed_) return;
  if (!tls_.has_value()) {
    Consume(bytes);
    return;
  }
  absl::Status status = tls_->Feed(bytes, &plaintext_);
  if (tls_->HasCiphertext()) (void)connection_->Send(tls_->TakeCiphertext());
  if (!status.ok()) {
    Fail(ErrorKind::kTls, status.ToString());
    return;
  }
  if (state_ == State::kTlsHandshake) {
    if (!tls_->handshake_done()) return;
    state_ = State::kAwaitHeader;
    SendHeader();
  }
  if (!plaintext_.empty()) {
    // The tokenizer reads plaintext_ in place: it must not change until
    // every event from it has been handled.
    Consume(plaintext_);
    plaintext_.clear();
  }
}

bool ClientSession::Consume(std::string_view plaintext) {
  tokenizer_.Feed(plaintext);
  for (;;) {
    if (failed_) return false;
    xml::XmlEvent event = tokenizer_.Next();
    switch (event.type) {
      case xml::XmlEventType::kNeedMore:
        return true;
      case xml::XmlEventType::kStreamOpen:
        if (tokenizer_.stream_header().namespace_uri() != xml::kNsStreams) {
          return Fail(ErrorKind::kProtocol, "stream header in the wrong namespace");
        }
        if (state_ == State::kAwaitHeader) state_ = State::kAwaitFeatures;
        break;
      case xml::XmlEventType::kElement:
        if (!OnElement(event.element)) return false;
        break;
      case xml::XmlEventType::kStreamClose:
        if (state_ == State::kClosing) return false;
        return Fail(ErrorKind::kDisconnect, "server closed the stream");
      case xml::XmlEventType::kError:
        return Fail(ErrorKind::kProtocol,
                    absl::StrCat("bad XML from server: ", event.error.detail));
    }
  }
}

bool ClientSession::OnElement(std::string_view bytes) {
  xml::ElementView element = parser_->Parse(bytes, tokenizer_.stream_header().namespaces());
  if (!element) return Fail(ErrorKind::kProtocol, "unparseable element");
  if (element.Is("error", xml::kNsStreams)) {
    return Fail(ErrorKind::kStreamError, absl::StrCat("stream error: ", FirstChildName(element)));
  }
  switch (state_) {
    case State::kAwaitFeatures:
      if (!element.Is("features", xml::kNsStreams)) {
        return Fail(ErrorKind::kProtocol, "expected stream features");
      }
      return OnFeatures(element);
    case State::kAwaitProceed:
      if (!element.Is("proceed", kNsTls)) return Fail(ErrorKind::kTls, "STARTTLS refused");
      {
        auto session = TlsSession::Client(*config_->tls_context, config_->domain, tls_cache_);
        if (!session.ok()) return Fail(ErrorKind::kTls, session.status().ToString());
        tls_.emplace(std::move(*session));
      }
      state_ = State::kTlsHandshake;
      // Nothing follows <proceed/> in plaintext; the next stream starts
      // after the handshake.
      tokenizer_.RestartStream();
      if (tls_->HasCiphertext()) (void)connection_->Send(tls_->TakeCiphertext());
      return false;
    case State::kAwaitSasl:
      return OnSasl(element);
    case State::kAwaitBind:
      if (!element.Is("iq", xml::kNsClient)) return true;  // e.g. an early push; ignore
      return OnBindResult(element);
    case State::kAwaitSession:
      if (!element.Is("iq", xml::kNsClient)) return true;
      if (element.Attribute("id").value_or("") != kSessionId) return true;
      if (element.Attribute("type").value_or("") != "result") {
        return Fail(ErrorKind::kBind, "session iq refused");
      }
      Ready();
      return true;
    case State::kReady: {
      const bool iq = element.Is("iq", xml::kNsClient);
      const std::string type = element.Attribute("type").value_or("");
      if (iq && (type == "get" || type == "set")) {
        // Answer what a compliant client must: ping, else service-unavailable.
        const std::string id = EscapeAttribute(element.Attribute("id").value_or(""));
        const std::string from = element.Attribute("from").value_or("");
        const std::string to_attr = from.empty() ? "" : absl::StrCat(" to='", EscapeAttribute(from), "'");
        xml::ElementView child = element.FirstChild();
        if (child && child.Is("ping", kNsPing)) {
          SendRaw(absl::StrCat("<iq type='result' id='", id, "'", to_attr, "/>"));
        } else {
          SendRaw(absl::StrCat("<iq type='error' id='", id, "'", to_attr,
                               "><error type='cancel'><service-unavailable "
                               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"));
        }
        return !failed_;
      }
      if (type == "error") {
        observer_->OnSessionError(*this, ErrorKind::kStanzaError,
                                  absl::StrCat(std::string(element.name()), " error: ",
                                               std::string(bytes.substr(0, 300))));
        return !failed_;
      }
      observer_->OnStanza(*this, element);
      return !failed_;
    }
    case State::kAwaitHeader:
    case State::kTlsHandshake:
      return Fail(ErrorKind::kProtocol, "element before the stream header");
    case State::kClosing:
      return false;
  }
  return true;
}

bool ClientSession::OnFeatures(const xml::ElementView& features) {
  if (config_->starttls && !tls_.has_value()) {
    if (!features.Child("starttls", kNsTls)) {
      return Fail(ErrorKind::kTls, "server offers no STARTTLS");
    }
    state_ = State::kAwaitProceed;
    SendRaw("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    return !failed_;
  }
  if (!authenticated_) {
    xml::ElementView mechanisms = features.Child("mechanisms", kNsSasl);
    bool has_scram = false;
    bool has_plain = false;
    for (xml::ElementView m = mechanisms ? mechanisms.Child("mechanism", kNsSasl) : xml::ElementView();
         m; m = m.NextSibling("mechanism", kNsSasl)) {
      const std::string name = m.Text();
      if (name == "SCRAM-SHA-256") has_scram = true;
      if (name == "PLAIN") has_plain = true;
    }
    state_ = State::kAwaitSasl;
    if (config_->sasl == SaslChoice::kScramSha256) {
      if (!has_scram) {
        return Fail(ErrorKind::kAuth,
                    features.Child("starttls", kNsTls)
                        ? "SCRAM-SHA-256 not offered (server may require STARTTLS: --tls)"
                        : "SCRAM-SHA-256 not offered");
      }
      sasl::ScramClientOptions options;
      options.mechanism = sasl::ScramMechanism{sasl::ScramHash::kSha256, false};
      options.username = username_;
      options.password = config_->password;
      // Every account shares the password: derive Hi() once per thread so
      // the generator stays lighter than the server it drives.
      options.cache_salted_password = true;
      scram_ = std::make_unique<sasl::ScramClient>(std::move(options));
      SendRaw(absl::StrCat(
          "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>",
          sasl::Base64Encode(scram_->ClientFirst()), "</auth>"));
    } else {
      if (!has_plain) {
        return Fail(ErrorKind::kAuth,
                    features.Child("starttls", kNsTls)
                        ? "PLAIN not offered (server may require STARTTLS: --tls)"
                        : "PLAIN not offered");
      }
      std::string message;
      message += '\0';
      message += username_;
      message += '\0';
      message += config_->password;
      SendRaw(absl::StrCat("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>",
                           sasl::Base64Encode(message), "</auth>"));
    }
    return !failed_;
  }
  if (!features.Child("bind", kNsBind)) return Fail(ErrorKind::kBind, "server offers no bind");
  // RFC 3921 session establishment: only when offered and not optional
  // (RFC 6121 dropped it; servers that still list it mark it <optional/>).
  xml::ElementView session = features.Child("session", kNsSession);
  session_required_ = session && !session.Child("optional", kNsSession);
  state_ = State::kAwaitBind;
  SendRaw(absl::StrCat("<iq type='set' id='", kBindId,
                       "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>",
                       EscapeAttribute(config_->resource), "</resource></bind></iq>"));
  return !failed_;
}

bool ClientSession::OnSasl(const xml::ElementView& element) {
  if (element.Is("failure", kNsSasl)) {
    return Fail(ErrorKind::kAuth, absl::StrCat("SASL failure: ", FirstChildName(element)));
  }
  const bool challenge = element.Is("challenge", kNsSasl);
  const bool success = element.Is("success", kNsSasl);
  if (!challenge && !success) return Fail(ErrorKind::kProtocol, "unexpected element during SASL");
  std::string data;
  if (!sasl::Base64Decode(element.Text(), &data)) {
    return Fail(ErrorKind::kAuth, "SASL data is not base64");
  }
  if (scram_ != nullptr && challenge && data.rfind("v=", 0) != 0) {
    std::string client_final;
    sasl::SaslStatus status = scram_->ReceiveServerFirst(data, &client_final);
    if (!status.ok()) return Fail(ErrorKind::kAuth, status.ToString());
    SendRaw(absl::StrCat("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>",
                         sasl::Base64Encode(client_final), "</response>"));
    return !failed_;
  }
  if (scram_ != nullptr && !data.empty()) {
    // server-final: in <success/> (RFC 6120) or, from older servers, in a
    // last challenge answered with an empty response.
    sasl::SaslStatus status = scram_->ReceiveServerFinal(data);
    if (!status.ok()) return Fail(ErrorKind::kAuth, status.ToString());
    scram_.reset();
  } else if (scram_ != nullptr && success) {
    return Fail(ErrorKind::kAuth, "SCRAM success without the server signature");
  }
  if (challenge) {
    SendRaw("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    return !failed_;
  }
  authenticated_ = true;
  state_ = State::kAwaitHeader;
  tokenizer_.RestartStream();
  SendHeader();
  return !failed_;
}

bool ClientSession::OnBindResult(const xml::ElementView& iq) {
  if (iq.Attribute("id").value_or("") != kBindId) return true;
  if (iq.Attribute("type").value_or("") != "result") {
    xml::ElementView error = iq.Child("error", xml::kNsClient);
    return Fail(ErrorKind::kBind,
                absl::StrCat("bind refused: ", error ? FirstChildName(error) : "(no error)"));
  }
  xml::ElementView bind = iq.Child("bind", kNsBind);
  if (bind) jid_ = bind.ChildText("jid", kNsBind).value_or("");
  if (jid_.empty()) return Fail(ErrorKind::kBind, "bind result without a JID");
  if (session_required_) {
    state_ = State::kAwaitSession;
    SendRaw(absl::StrCat("<iq type='set' id='", kSessionId,
                         "'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"));
    return !failed_;
  }
  Ready();
  return !failed_;
}

void ClientSession::Ready() {
  state_ = State::kReady;
  if (config_->initial_presence) SendRaw("<presence/>");
  if (failed_) return;
  observer_->OnLoggedIn(*this);
}

void ClientSession::OnClosed(Connection&, const absl::Status& reason) {
  if (!failed_ && state_ != State::kClosing) {
    failed_ = true;
    const std::string detail = absl::StrCat("connection closed: ", reason.ToString());
    if (state_ == State::kReady) {
      observer_->OnSessionError(*this, ErrorKind::kDisconnect, detail);
    } else {
      observer_->OnLoginFailed(*this, ErrorKind::kDisconnect, detail);
    }
  }
  observer_->OnSessionClosed(*this);
  delete this;
}

}  // namespace ringlet::bench
