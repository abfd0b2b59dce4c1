#include "xmpp/c2s/c2s_session.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/check.h"
#include "core/log.h"
#include "xmpp/im/disco.h"
#include "xmpp/im/ping.h"
#include "xmpp/im/roster.h"
#include "xmpp/im/version.h"
#include "xmpp/sasl/opaque_string.h"
#include "xmpp/sasl/plain.h"
#include "xmpp/sasl/scram_primitives.h"
#include "xmpp/xml/forwarder.h"
#include "xmpp/xml/namespaces.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::xmpp {
namespace {

using xml::kNsBind;
using xml::kNsSasl;
using xml::kNsSession;
using xml::kNsStreamErrors;
using xml::kNsTls;
constexpr size_t kResourceBytesMax = 1023;

std::string S(std::string_view v) { return std::string(v); }

// Checks a SASL PLAIN password against the stored SCRAM keys: as prepared
// by RFC 8265 OpaqueString (how keys are derived), then, if preparation
// changed it or refused it, as its raw bytes — the form keys were derived
// from before passwords were prepared, so that such accounts keep working.
bool PlainPasswordMatches(const storage::ScramCredentials& credentials,
                          std::string_view password) {
  auto prepared = sasl::PrepareOpaqueString(password);
  if (prepared.ok() &&
      sasl::VerifyScramPassword(storage::ScramHash::kSha256, credentials, *prepared)) {
    return true;
  }
  if (prepared.ok() && *prepared == password) return false;
  return sasl::VerifyScramPassword(storage::ScramHash::kSha256, credentials, password);
}

}  // namespace

C2sSession::C2sSession(C2sService* service, Connection* connection)
    : service_(service),
      connection_(connection),
      tokenizer_(std::make_unique<xml::XmlTokenizer>(service->config().xml_limits)) {
  Shard& shard = service_->shard();
  accepted_at_ = shard.now();
  auth_timer_ = shard.timers().Add(shard.now() + service_->config().auth_timeout, [this] {
    auth_timer_ = kNoTimer;
    if (!authenticated_) StreamError("connection-timeout", "Authentication took too long");
  });
}

C2sSession::~C2sSession() {
  if (auth_timer_ != kNoTimer) service_->shard().timers().Cancel(auth_timer_);
}

void C2sSession::Adopt(C2sService* service, Connection* connection) {
  service_ = service;
  connection_ = connection;
  handing_over_ = false;
  // The stream restarts after SASL success: a fresh tokenizer reads it.
  tokenizer_ = std::make_unique<xml::XmlTokenizer>(service->config().xml_limits);
  state_ = State::kAwaitStream;
  header_sent_ = false;
  connection->set_handler(this);
  connection->Start();
  std::string carried;
  carried.swap(carried_input_);
  if (!carried.empty()) Process(carried);
}

void C2sSession::OnReceive(Connection& connection, std::string_view bytes) {
  if (state_ == State::kClosing) return;
  std::string rest;
  if (tls_ == nullptr) {
    rest = Process(bytes);
    if (rest.empty() || tls_ == nullptr) return;
    bytes = rest;  // the client's TLS handshake, right after <starttls/>
  }
  plaintext_.clear();
  const bool handshaking = !tls_->handshake_done();
  absl::Status status = tls_->Feed(bytes, &plaintext_);
  if (handshaking && tls_->handshake_done() && !tls_->HasCiphertext() && plaintext_.empty()) {
    // The client's Finished ended the handshake and we have nothing to
    // answer (BoringSSL sends TLS 1.3 tickets only to clients that offer
    // psk_key_exchange_modes; Erlang's does not): acknowledge at once, or a
    // client with Nagle on holds its stream header for our delayed ACK
    // (~40 ms per login, measured with Tsung).
    connection_->AckNow();
  }
  Transmit("");  // handshake records, alerts
  if (!status.ok() || tls_->peer_closed()) {
    if (!status.ok()) LOG_DEBUG("conn %x: %s", connection_->id().value(), status.ToString());
    state_ = State::kClosing;
    if (bound_) EndSession();
    // Orderly: a TLS alert we just queued still reaches the client.
    connection_->Close(CloseMode::kOrderly, status);
    return;
  }
  if (plaintext_.empty()) return;
  std::string plaintext;
  plaintext.swap(plaintext_);
  Process(plaintext);
}

bool C2sSession::StartTls() {
  const TlsContext* context = service_->config().tls;
  if (context == nullptr) return false;
  auto session = TlsSession::Server(*context);
  if (!session.ok()) {
    LOG_ERROR("TLS session: %s", session.status().ToString());
    return false;
  }
  tls_ = std::make_unique<TlsSession>(std::move(*session));
  return true;
}

void C2sSession::Transmit(std::string bytes) {
  if (tls_ == nullptr || starting_tls_) {
    if (!bytes.empty()) SendToConnection(std::move(bytes));
    return;
  }
  if (!bytes.empty() && tls_->handshake_done()) {
    absl::Status status = tls_->Write(bytes);
    if (!status.ok()) LOG_DEBUG("conn %x: TLS write: %s", connection_->id().value(), status.ToString());
  }
  if (tls_->HasCiphertext()) SendToConnection(tls_->TakeCiphertext());
}

std::string C2sSession::Process(std::string_view bytes) {
  tokenizer_->Feed(bytes);
  feed_ = bytes;
  feed_start_offset_ = tokenizer_->stream_offset();
  while (state_ != State::kClosing) {
    xml::XmlEvent event = tokenizer_->Next();
    switch (event.type) {
      case xml::XmlEventType::kNeedMore:
        return "";
      case xml::XmlEventType::kStreamOpen:
        OnStreamOpen();
        break;
      case xml::XmlEventType::kElement:
        OnElement(event.element);
        break;
      case xml::XmlEventType::kStreamClose:
        // The client closed its stream: close ours and the connection.
        if (bound_) EndSession();
        Write("</stream:stream>");
        state_ = State::kClosing;
        connection_->Close(CloseMode::kOrderly);
        return "";
      case xml::XmlEventType::kError:
        StreamError(xml::StreamErrorName(event.error.condition), event.error.detail);
        return "";
    }
    uint64_t consumed = tokenizer_->stream_offset() - feed_start_offset_;
    std::string_view rest = feed_.substr(std::min<uint64_t>(consumed, feed_.size()));
    if (handing_over_) {
      // Everything after the element that completed SASL belongs to the new
      // stream, which the home shard reads.
      carried_input_ = S(rest);
      return "";
    }
    if (starting_tls_) {
      // What follows <starttls/> is the client's TLS handshake, not XML.
      starting_tls_ = false;
      tokenizer_ = std::make_unique<xml::XmlTokenizer>(service_->config().xml_limits);
      state_ = State::kAwaitStream;
      header_sent_ = false;
      return rest.empty() ? std::string() : S(rest);
    }
    if (restart_stream_) {
      restart_stream_ = false;
      state_ = State::kAwaitStream;
      header_sent_ = false;
      tokenizer_->RestartStream();
      // The new stream starts with the rest of this buffer.
      feed_ = rest;
      feed_start_offset_ = tokenizer_->stream_offset();
    }
  }
  return "";
}

void C2sSession::Write(std::string bytes) {
  // Everything a closing stream had to say was written before it closed.
  if (state_ == State::kClosing) return;
  if (tls_ != nullptr && !starting_tls_) {
    Transmit(std::move(bytes));
    return;
  }
  SendToConnection(std::move(bytes));
}

void C2sSession::SendToConnection(std::string bytes) {
  absl::Status status = connection_->Send(std::move(bytes));
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    // The client does not read what it is sent: it cannot be served.
    // The session ends in OnClosed(), not here: this may be a delivery in
    // the middle of a fan-out over the user's sessions.
    LOG_INFO("conn %x: send queue full, closing", connection_->id().value());
    state_ = State::kClosing;
    connection_->Close(CloseMode::kAbort, status);
  }
}

void C2sSession::SendStreamHeader() {
  if (header_sent_) return;
  header_sent_ = true;
  stream_id_ = service_->RandomToken(16);
  std::string out = "<?xml version='1.0'?>";
  xml::XmlWriter w(&out);
  w.Open("stream:stream")
      .Attribute("xmlns", xml::kNsClient)
      .Attribute("xmlns:stream", xml::kNsStreams)
      .Attribute("id", stream_id_)
      .Attribute("from", domain_.empty() ? service_->config().domains.front() : domain_)
      .Attribute("version", "1.0")
      .Attribute("xml:lang", "en")
      .EndStartTag();
  Write(std::move(out));
}

void C2sSession::StreamError(std::string_view condition, std::string_view text) {
  if (state_ == State::kClosing) return;
  SendStreamHeader();
  std::string out;
  xml::XmlWriter w(&out);
  w.Open("stream:error");
  w.Open(condition).Attribute("xmlns", kNsStreamErrors).Close();
  if (!text.empty()) {
    w.Open("text").Attribute("xmlns", kNsStreamErrors).Attribute("xml:lang", "en").Text(text).Close();
  }
  w.Close();
  out += "</stream:stream>";
  LOG_DEBUG("conn %x: stream error %s (%s)", connection_->id().value(), S(condition), S(text));
  Write(std::move(out));
  state_ = State::kClosing;
  if (bound_) EndSession();
  connection_->Close(CloseMode::kOrderly);
}

void C2sSession::OnStreamOpen() {
  const xml::StreamHeader& header = tokenizer_->stream_header();
  std::optional<std::string> to = header.Attribute("to");
  const C2sConfig& config = service_->config();
  if (to.has_value()) {
    auto domain = Jid::Parse(*to);
    if (domain.ok() && domain->is_domain() && service_->router().IsLocalDomain(domain->domain())) {
      domain_ = domain->domain();
    }
  } else if (!authenticated_) {
    domain_ = config.domains.front();  // RFC 6120 §4.7.2: the default domain
  }
  if (authenticated_ && domain_ != jid_.domain()) domain_ = jid_.domain();
  if (header.name() != "stream:stream" && header.name() != "stream") {
    StreamError("invalid-namespace", "The root element must be <stream:stream/>");
    return;
  }
  if (header.namespace_uri() != xml::kNsStreams) {
    StreamError("invalid-namespace", "The stream namespace must be http://etherx.jabber.org/streams");
    return;
  }
  if (header.namespaces().default_namespace() != xml::kNsClient) {
    StreamError("invalid-namespace", "The content namespace must be jabber:client");
    return;
  }
  if (domain_.empty()) {
    StreamError("host-unknown", "This server does not serve that domain");
    return;
  }
  std::optional<std::string> version = header.Attribute("version");
  if (!version.has_value() || version->empty() || (*version)[0] < '1') {
    StreamError("unsupported-version", "XMPP 1.0 streams only");
    return;
  }
  state_ = State::kOpen;
  SendStreamHeader();
  SendFeatures();
}

void C2sSession::SendFeatures() {
  const C2sConfig& config = service_->config();
  std::string out;
  xml::XmlWriter w(&out);
  w.Open("stream:features");
  if (!authenticated_) {
    bool tls_active = tls_ != nullptr;
    if (!tls_active && config.tls != nullptr) {
      w.Open("starttls").Attribute("xmlns", kNsTls);
      if (config.require_tls) w.Open("required").Close();
      w.Close();
    }
    if (!config.require_tls || tls_active) {
      // Channel binding (RFC 9266 tls-exporter) needs TLS 1.3, and is
      // offered only where the operator asked for it (--sasl_channel_binding).
      const bool plus = config.sasl_channel_binding && tls_active &&
                        tls_->ExportChannelBinding().ok();
      w.Open("mechanisms").Attribute("xmlns", kNsSasl);
      if (plus) {
        w.Open("mechanism").Text("SCRAM-SHA-256-PLUS").Close();
        w.Open("mechanism").Text("SCRAM-SHA-1-PLUS").Close();
      }
      w.Open("mechanism").Text("SCRAM-SHA-256").Close();
      w.Open("mechanism").Text("SCRAM-SHA-1").Close();
      // PLAIN sends the password itself: only inside TLS, unless the
      // operator allowed clear-text streams (--require_tls=false).
      w.Open("mechanism").Text("PLAIN").Close();
      w.Close();
      if (plus) {
        // XEP-0440: which channel binding types we can verify.
        w.Open("sasl-channel-binding").Attribute("xmlns", xml::kNsSaslChannelBinding);
        w.Open("channel-binding").Attribute("type", "tls-exporter").Close();
        w.Close();
      }
    }
  } else {
    w.Open("bind").Attribute("xmlns", kNsBind).Close();
    w.Open("session").Attribute("xmlns", kNsSession).Open("optional").Close().Close();
  }
  w.Close();
  Write(std::move(out));
}

void C2sSession::OnElement(std::string_view element) {
  if (state_ != State::kOpen) {
    StreamError("not-authorized", "Stream not open");
    return;
  }
  xml::ElementView view = service_->parser().Parse(element, tokenizer_->stream_header().namespaces());
  if (!authenticated_) {
    if (view.Is("auth", kNsSasl)) {
      OnAuth(view);
    } else if (view.Is("response", kNsSasl)) {
      OnResponse(view);
    } else if (view.Is("abort", kNsSasl)) {
      scram_.reset();
      AuthFailed("aborted");
    } else if (view.Is("starttls", kNsTls)) {
      if (tls_ != nullptr || service_->config().tls == nullptr || !StartTls()) {
        // Not offered, or already active: RFC 6120 §5.4.2.2.
        Write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
        state_ = State::kClosing;
        connection_->Close(CloseMode::kOrderly);
        return;
      }
      // <proceed/> goes out in clear; everything after it is TLS.
      starting_tls_ = true;
      Write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    } else if (view.Is("message", xml::kNsClient) || view.Is("presence", xml::kNsClient) ||
               view.Is("iq", xml::kNsClient)) {
      StreamError("not-authorized", "Authenticate first");
    } else {
      StreamError("unsupported-stanza-type");
    }
    return;
  }
  if (!bound_) {
    if (view.Is("iq", xml::kNsClient)) {
      xml::ElementView bind = view.Child("bind", kNsBind);
      if (bind && view.RawAttribute("type") == std::optional<std::string_view>("set")) {
        OnBind(view);
        return;
      }
    }
    if (view.Is("message", xml::kNsClient) || view.Is("presence", xml::kNsClient) ||
        view.Is("iq", xml::kNsClient)) {
      StreamError("not-authorized", "Bind a resource first");
    } else {
      StreamError("unsupported-stanza-type");
    }
    return;
  }
  OnStanza(view, element);
  HoldReadingWhileCongested();
}

// --- SASL ------------------------------------------------------------------

void C2sSession::OnAuth(const xml::ElementView& auth) {
  const C2sConfig& config = service_->config();
  if (scram_ != nullptr) {
    AuthFailed("malformed-request", "An exchange is already in progress");
    return;
  }
  if (config.require_tls && tls_ == nullptr) {
    AuthFailed("encryption-required");
    return;
  }
  std::string address = connection_->peer().HostString();
  if (service_->AddressBlocked(address)) {
    AuthFailed("temporary-auth-failure", "Too many failed logins from your address; try later");
    return;
  }
  mechanism_ = auth.Attribute("mechanism").value_or("");
  std::string text = auth.Text();
  std::string initial;
  if (text == "=") {
    text.clear();
  } else if (!sasl::Base64Decode(text, &initial)) {
    AuthFailed("incorrect-encoding");
    return;
  }
  if (mechanism_ == "PLAIN") {
    sasl::PlainMessage plain;
    if (!sasl::ParsePlainMessage(initial, &plain).ok()) {
      AuthFailed("malformed-request");
      return;
    }
    auto jid = Jid::Parse(absl::StrCat(S(plain.authcid), "@", domain_));
    if (!jid.ok() || !jid->is_bare() || jid->local().empty()) {
      AuthFailed("not-authorized");
      return;
    }
    if (!plain.authzid.empty() && plain.authzid != jid->ToString()) {
      AuthFailed("invalid-authzid");
      return;
    }
    auto credentials = service_->storage().GetScramCredentials(jid->ToString(),
                                                              storage::ScramHash::kSha256);
    if (!credentials.ok() || !PlainPasswordMatches(*credentials, plain.password)) {
      service_->RecordAuthFailure(connection_->peer().HostString());
      AuthFailed("not-authorized");
      return;
    }
    AuthSucceeded(jid->local(), "");
    return;
  }
  sasl::ScramMechanism scram;
  std::optional<std::string> binding;
  if (tls_ != nullptr && service_->config().sasl_channel_binding) {
    if (auto exported = tls_->ExportChannelBinding(); exported.ok()) binding = *exported;
  }
  if (!sasl::ParseScramMechanism(mechanism_, &scram) || (scram.plus && !binding.has_value())) {
    AuthFailed("invalid-mechanism");
    return;
  }
  sasl::ScramServerOptions options;
  options.mechanism = scram;
  // A client that says "y" (it could bind, but thinks we cannot) is not
  // treated as a downgrade: we bind only with tls-exporter (RFC 9266), and
  // a client that knows only tls-unique (which TLS 1.3 lacks) legitimately
  // falls back to plain SCRAM. XEP-0440 tells clients which type we have.
  options.plus_offered = false;
  if (binding.has_value()) options.channel_binding_data = *binding;
  options.decoy_key = "ringlet-decoy";
  scram_ = std::make_unique<sasl::ScramServer>(options);
  sasl::SaslStatus status = scram_->ReceiveClientFirst(initial);
  if (!status.ok()) {
    AuthFailed(sasl::SaslConditionName(status.condition()));
    return;
  }
  std::optional<storage::ScramCredentials> credentials;
  auto jid = Jid::Parse(absl::StrCat(scram_->username(), "@", domain_));
  if (jid.ok() && jid->is_bare() && !jid->local().empty()) {
    auto stored = service_->storage().GetScramCredentials(jid->ToString(), scram.hash);
    if (stored.ok()) credentials = *stored;
  }
  std::string server_first;
  status = scram_->MakeServerFirst(credentials.has_value() ? &*credentials : nullptr, &server_first);
  if (!status.ok()) {
    AuthFailed(sasl::SaslConditionName(status.condition()));
    return;
  }
  std::string out;
  xml::XmlWriter w(&out);
  w.Open("challenge").Attribute("xmlns", kNsSasl).Text(sasl::Base64Encode(server_first)).Close();
  Write(std::move(out));
}

void C2sSession::OnResponse(const xml::ElementView& response) {
  if (scram_ == nullptr) {
    AuthFailed("malformed-request", "No exchange in progress");
    return;
  }
  std::string final_message;
  if (!sasl::Base64Decode(response.Text(), &final_message)) {
    AuthFailed("incorrect-encoding");
    return;
  }
  std::string server_final;
  sasl::SaslStatus status = scram_->ReceiveClientFinal(final_message, &server_final);
  if (!status.ok()) {
    // Only a proof that was checked is a password guess; a channel-binding
    // or nonce mismatch is a client's mistake, not counted against its
    // address.
    if (status.server_error() == sasl::ScramServerError::kInvalidProof) {
      service_->RecordAuthFailure(connection_->peer().HostString());
    }
    AuthFailed(sasl::SaslConditionName(status.condition()));
    return;
  }
  auto jid = Jid::Parse(absl::StrCat(scram_->username(), "@", domain_));
  if (!jid.ok()) {
    AuthFailed("not-authorized");
    return;
  }
  if (!scram_->authzid().empty() && scram_->authzid() != jid->ToString()) {
    AuthFailed("invalid-authzid");
    return;
  }
  AuthSucceeded(jid->local(), sasl::Base64Encode(server_final));
}

void C2sSession::AuthFailed(std::string_view condition, std::string_view text) {
  scram_.reset();
  std::string out;
  xml::XmlWriter w(&out);
  w.Open("failure").Attribute("xmlns", kNsSasl);
  w.Open(condition).Close();
  if (!text.empty()) w.Open("text").Attribute("xml:lang", "en").Text(text).Close();
  w.Close();
  Write(std::move(out));
  if (condition != "aborted" && ++sasl_failures_ >= service_->config().sasl_attempts_max) {
    StreamError("policy-violation", "Too many failed authentication attempts");
  }
}

void C2sSession::AuthSucceeded(const std::string& local, std::string additional_data) {
  scram_.reset();
  auto jid = Jid::Parse(absl::StrCat(local, "@", domain_));
  CHECK(jid.ok());
  jid_ = *jid;
  authenticated_ = true;
  if (auth_timer_ != kNoTimer) {
    service_->shard().timers().Cancel(auth_timer_);
    auth_timer_ = kNoTimer;
  }
  std::string out;
  xml::XmlWriter w(&out);
  w.Open("success").Attribute("xmlns", kNsSasl);
  if (!additional_data.empty()) w.Text(additional_data);
  w.Close();
  Write(std::move(out));
  service_->CountLogin();
  ShardId home = service_->router().HomeOf(jid_);
  if (home == service_->shard().id()) {
    restart_stream_ = true;
    return;
  }
  // Move to the user's home shard; the payload owns this session until the
  // home shard adopts it.
  handing_over_ = true;
  auto payload = std::make_unique<C2sHandover>();
  payload->session.reset(this);
  connection_->Handover(home, C2sService::kHandoverKind, std::move(payload));
}

void C2sSession::OnBind(const xml::ElementView& iq) {
  std::string id = iq.Attribute("id").value_or("");
  xml::ElementView bind = iq.Child("bind", kNsBind);
  std::string resource;
  if (auto requested = bind.ChildText("resource", kNsBind)) resource = *requested;
  if (resource.empty()) resource = service_->RandomToken(16);
  auto full = resource.size() > kResourceBytesMax ? absl::StatusOr<Jid>(absl::InvalidArgumentError(""))
                                                  : jid_.Bare().WithResource(resource);
  if (!full.ok()) {
    ReplyError(iq, {}, im::StanzaErrorCondition::kBadRequest);
    return;
  }
  jid_ = *full;
  bound_ = true;
  service_->router().Bind(this);
  LOG_DEBUG("conn %x: bound %s on shard %u", connection_->id().value(), jid_.ToString(),
            service_->shard().id().value());
  service_->RecordLoginLatency(service_->shard().now() - accepted_at_);
  std::string out;
  xml::XmlWriter w(&out);
  w.Open("iq").Attribute("type", "result").Attribute("id", id);
  w.Open("bind").Attribute("xmlns", kNsBind).Open("jid").Text(jid_.ToString()).Close().Close();
  w.Close();
  Write(std::move(out));
}

// --- Stanzas -----------------------------------------------------------------

void C2sSession::OnStanza(const xml::ElementView& stanza, std::string_view bytes) {
  bool message = stanza.Is("message", xml::kNsClient);
  bool presence = stanza.Is("presence", xml::kNsClient);
  bool iq = stanza.Is("iq", xml::kNsClient);
  if (!message && !presence && !iq) {
    StreamError("unsupported-stanza-type");
    return;
  }
  // RFC 6120 §8.1.2.1: a client may only send its own JID as 'from'.
  if (auto from = stanza.Attribute("from")) {
    auto parsed = Jid::Parse(*from);
    if (!parsed.ok() || (*parsed != jid_ && *parsed != jid_.Bare())) {
      StreamError("invalid-from");
      return;
    }
  }
  std::optional<Jid> to;
  if (auto to_text = stanza.Attribute("to")) {
    auto parsed = Jid::Parse(*to_text);
    if (!parsed.ok()) {
      ReplyError(stanza, bytes, im::StanzaErrorCondition::kJidMalformed);
      return;
    }
    to = *parsed;
  }
  if (presence) {
    OnPresence(stanza, bytes, to.has_value() ? &*to : nullptr);
    return;
  }
  if (iq) {
    std::string type = stanza.Attribute("type").value_or("");
    if (!stanza.Attribute("id").has_value() ||
        (type != "get" && type != "set" && type != "result" && type != "error")) {
      ReplyError(stanza, bytes, im::StanzaErrorCondition::kBadRequest);
      return;
    }
    if (!to.has_value() || *to == jid_.Bare() || (to->is_domain() && to->domain() == jid_.domain())) {
      OnServerIq(stanza, bytes);
      return;
    }
    Route(stanza, bytes, *to);
    return;
  }
  // message
  if (!to.has_value()) {
    // RFC 6121 §8.5.1 treats a message with no 'to' as sent to the user's
    // own bare JID.
    to = jid_.Bare();
  }
  if (to->is_domain()) {
    ReplyError(stanza, bytes, im::StanzaErrorCondition::kServiceUnavailable);
    return;
  }
  Route(stanza, bytes, *to);
}

void C2sSession::OnPresence(const xml::ElementView& presence, std::string_view bytes,
                            const Jid* to) {
  std::string type = presence.Attribute("type").value_or("");
  if (to == nullptr && (type.empty() || type == "unavailable")) {
    // Broadcast presence (RFC 6121 §4.2, §4.4, §4.5).
    std::string stamped;
    xml::StanzaStamp stamp;
    std::string from = jid_.ToString();
    stamp.from = from;
    stamp.source_namespaces = &tokenizer_->stream_header().namespaces();
    if (!xml::AppendStampedStanza(bytes, stamp, &stamped)) {
      ReplyError(presence, bytes, im::StanzaErrorCondition::kBadRequest);
      return;
    }
    if (type.empty()) {
      bool initial = !available_;
      int priority = 0;
      if (auto text = presence.ChildText("priority", xml::kNsClient)) {
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &priority) || priority < -128 ||
            priority > 127) {
          ReplyError(presence, bytes, im::StanzaErrorCondition::kBadRequest);
          return;
        }
      }
      available_ = true;
      priority_ = priority;
      last_presence_ = stamped;
      service_->router().OnPresenceBroadcast(*this, initial, stamped);
    } else if (available_) {
      available_ = false;
      last_presence_.clear();
      service_->router().OnUnavailable(*this, stamped);
    }
    return;
  }
  if (to == nullptr) {
    ReplyError(presence, bytes, im::StanzaErrorCondition::kBadRequest);
    return;
  }
  if ((type.empty() || type == "unavailable") &&
      !service_->router().NoteDirectedPresence(*this, *to, type.empty())) {
    ReplyError(presence, bytes, im::StanzaErrorCondition::kResourceConstraint);
    return;
  }
  Route(presence, bytes, *to);
}

void C2sSession::OnServerIq(const xml::ElementView& iq, std::string_view bytes) {
  std::string type = iq.Attribute("type").value_or("");
  if (type == "result" || type == "error") return;  // nothing of ours is pending
  xml::ElementView payload = iq.FirstChild();
  std::string id = iq.Attribute("id").value_or("");
  std::optional<std::string> to = iq.Attribute("to");
  bool to_account = to.has_value() && *to != jid_.domain();
  std::string from = to.value_or(jid_.domain());
  std::string me = jid_.ToString();
  if (payload && payload.Is("query", im::kNsRoster) && !(to.has_value() && !to_account)) {
    OnRosterIq(iq, bytes);
    return;
  }
  if (im::IsPingRequest(iq)) {
    Write(im::BuildPingResult(id, from, me));
    return;
  }
  if (payload && payload.Is("session", kNsSession) && type == "set") {
    ReplyResult(iq);  // RFC 3921 session establishment: a no-op since RFC 6121
    return;
  }
  if (auto disco = im::ParseDiscoRequest(iq); disco.has_value() && disco->node.empty()) {
    if (disco->kind == im::DiscoKind::kItems) {
      Write(im::BuildDiscoItemsResult(id, from, me, "", {}));
    } else if (to_account) {
      const std::vector<std::string> features;
      if (auto reply = im::BuildAccountDiscoInfo(id, from, me, true, features)) Write(*reply);
    } else {
      const std::vector<std::string> features = {"urn:xmpp:ping", "jabber:iq:version",
                                                 "msgoffline", "urn:xmpp:delay"};
      Write(im::BuildServerDiscoInfo(id, from, me, features));
    }
    return;
  }
  if (!to_account && im::IsVersionRequest(iq)) {
    im::SoftwareVersion version;
    version.version = service_->config().server_version;
    Write(im::BuildVersionResult(id, from, me, version));
    return;
  }
  ReplyError(iq, bytes, im::StanzaErrorCondition::kServiceUnavailable);
}

void C2sSession::OnRosterIq(const xml::ElementView& iq, std::string_view bytes) {
  Router& router = service_->router();
  Jid bare = jid_.Bare();
  std::string user = bare.ToString();
  std::string id = iq.Attribute("id").value_or("");
  auto roster = router.reader().GetRoster(user);
  if (!roster.ok()) {
    ReplyError(iq, bytes, im::StanzaErrorCondition::kInternalServerError);
    return;
  }
  if (iq.RawAttribute("type") == std::optional<std::string_view>("get")) {
    interested_ = true;
    Write(im::BuildRosterResult(id, jid_.ToString(), *roster, im::ParseRosterGetVersion(iq),
                                /*versioning=*/true));
    return;
  }
  std::optional<Jid> from;
  if (auto text = iq.Attribute("from")) {
    auto parsed = Jid::Parse(*text);
    if (parsed.ok()) from = *parsed;
  }
  im::RosterSetParse parse = im::ParseRosterSet(iq, bare, from, im::RosterLimits());
  if (!parse.set.has_value()) {
    if (auto reply = im::BuildErrorReply(bytes, iq, parse.error)) Write(std::move(*reply));
    return;
  }
  const storage::RosterItem* stored = nullptr;
  for (const storage::RosterItem& item : roster->items) {
    if (item.jid == parse.set->jid.ToString()) stored = &item;
  }
  im::RosterSetOutcome outcome = im::ApplyRosterSet(*parse.set, stored);
  if (outcome.change == im::RosterSetOutcome::Change::kError) {
    im::StanzaError error;
    error.condition = outcome.error;
    if (auto reply = im::BuildErrorReply(bytes, iq, error)) Write(std::move(*reply));
    return;
  }
  const Jid& contact = parse.set->jid;
  absl::StatusOr<uint64_t> version;
  storage::RosterItem pushed = outcome.item;
  if (outcome.change == im::RosterSetOutcome::Change::kStore) {
    version = router.writer().SetRosterItem(user, outcome.item);
  } else {
    // RFC 6121 §2.5.2: cancel both directions before the item goes.
    if (outcome.send_unsubscribe) router.SendPresence(bare, contact, "unsubscribe");
    if (outcome.send_unsubscribed) router.SendPresence(bare, contact, "unsubscribed");
    pushed.jid = contact.ToString();
    version = router.writer().RemoveRosterItem(user, pushed.jid);
  }
  if (!version.ok()) {
    im::StanzaError error;
    error.condition = version.status().code() == absl::StatusCode::kResourceExhausted
                          ? im::StanzaErrorCondition::kResourceConstraint
                          : im::StanzaErrorCondition::kInternalServerError;
    if (auto reply = im::BuildErrorReply(bytes, iq, error)) Write(std::move(*reply));
    return;
  }
  router.PushRoster(bare, pushed, *version,
                    outcome.change == im::RosterSetOutcome::Change::kRemove);
  // The result waits for the write to be durable.
  std::string result = im::BuildRosterSetResult(id, jid_.ToString());
  std::weak_ptr<bool> alive = alive_;
  router.AfterCommit([this, alive, result = std::move(result)](const absl::Status& status) mutable {
    if (alive.expired()) return;
    if (status.ok()) {
      Write(std::move(result));
    } else {
      StreamError("internal-server-error", "Storage failure");
    }
  });
}

void C2sSession::ReplyResult(const xml::ElementView& iq, std::string_view payload) {
  std::string out;
  xml::XmlWriter w(&out);
  w.Open("iq").Attribute("type", "result");
  if (auto to = iq.Attribute("to")) w.Attribute("from", *to);
  w.Attribute("to", jid_.ToString());
  if (auto id = iq.Attribute("id")) w.Attribute("id", *id);
  if (!payload.empty()) w.Raw(payload);
  w.Close();
  Write(std::move(out));
}

void C2sSession::ReplyError(const xml::ElementView& stanza, std::string_view bytes,
                            im::StanzaErrorCondition condition) {
  im::StanzaError error;
  error.condition = condition;
  if (!bytes.empty()) {
    if (auto reply = im::BuildErrorReply(bytes, stanza, error)) Write(std::move(*reply));
    return;
  }
  if (stanza.Attribute("type") == std::optional<std::string>("error")) return;
  std::string out;
  xml::XmlWriter w(&out);
  w.Open(stanza.name()).Attribute("type", "error");
  if (auto id = stanza.Attribute("id")) w.Attribute("id", *id);
  std::string element;
  im::AppendErrorElement(error, &element);
  w.Raw(element).Close();
  Write(std::move(out));
}

void C2sSession::Route(const xml::ElementView& stanza, std::string_view bytes, const Jid& to) {
  auto routed = std::make_unique<RoutedStanza>();
  routed->kind = stanza.Is("message", xml::kNsClient)    ? StanzaKind::kMessage
                 : stanza.Is("presence", xml::kNsClient) ? StanzaKind::kPresence
                                                         : StanzaKind::kIq;
  routed->type = stanza.Attribute("type").value_or("");
  routed->id = stanza.Attribute("id").value_or("");
  routed->from = jid_;
  routed->to = to;
  // Presence subscriptions carry the bare JID (RFC 6121 §3.1.2).
  bool subscription = routed->kind == StanzaKind::kPresence &&
                      (routed->type == "subscribe" || routed->type == "subscribed" ||
                       routed->type == "unsubscribe" || routed->type == "unsubscribed");
  if (subscription) routed->from = jid_.Bare();
  std::string from = routed->from.ToString();
  std::string to_text = to.ToString();
  xml::StanzaStamp stamp;
  stamp.from = from;
  stamp.to = to_text;
  stamp.source_namespaces = &tokenizer_->stream_header().namespaces();
  if (!xml::AppendStampedStanza(bytes, stamp, &routed->bytes)) {
    ReplyError(stanza, bytes, im::StanzaErrorCondition::kBadRequest);
    return;
  }
  if (subscription) {
    service_->router().OnOutboundSubscription(*this, std::move(routed));
    return;
  }
  service_->router().RouteFrom(*this, std::move(routed));
}

void C2sSession::HoldReadingWhileCongested() {
  std::vector<ShardId> congested = service_->router().TakeCongestedShards();
  // A closing stream reads (and discards) until the peer's FIN: never pause it.
  if (congested.empty() || state_ == State::kClosing) return;
  if (congested_waits_ == 0) connection_->PauseReading();
  congested_waits_ += static_cast<uint32_t>(congested.size());
  std::weak_ptr<bool> alive = alive_;
  for (ShardId shard : congested) {
    // The callback may run after this session (and its connection) ended.
    service_->shard().mailbox().OnDrained(shard, [this, alive] {
      if (alive.expired()) return;
      if (--congested_waits_ == 0 && state_ != State::kClosing) connection_->ResumeReading();
    });
  }
}

void C2sSession::Deliver(std::string_view stanza) { Write(S(stanza)); }

size_t C2sSession::deliver_room() const {
  return state_ == State::kClosing ? 0 : connection_->send_room();
}

void C2sSession::WhenWritten(absl::AnyInvocable<void(bool written)> done) {
  connection_->NotifyWhenSent(std::move(done));
}

void C2sSession::Kick(std::string_view condition, std::string_view text) {
  bound_ = false;  // the router already forgot this session
  available_ = false;
  StreamError(condition, text);
}

void C2sSession::Shutdown() { StreamError("system-shutdown", "The server is stopping"); }

bool C2sSession::OnIdle(Connection& connection) {
  StreamError("connection-timeout", "No traffic for too long");
  return true;  // StreamError closes it after the error is sent
}

void C2sSession::EndSession() {
  if (!bound_) return;
  bound_ = false;
  if (available_) {
    available_ = false;
    std::string unavailable;
    xml::XmlWriter w(&unavailable);
    w.Open("presence").Attribute("from", jid_.ToString()).Attribute("type", "unavailable").Close();
    service_->router().OnUnavailable(*this, unavailable);
  }
  service_->router().Unbind(this);
}

void C2sSession::OnClosed(Connection& connection, const absl::Status& reason) {
  EndSession();
  delete this;
}

}  // namespace ringlet::xmpp
