#pragma once

// C2sSession: one client's XMPP stream (RFC 6120) from the first byte to
// the closing tag: stream header and features, SASL (SCRAM-SHA-256,
// SCRAM-SHA-1, PLAIN where allowed), resource binding, then stanzas.
//
// It is the ConnectionHandler of its connection. Bytes are tokenized where
// they landed (xmpp/xml/tokenizer.h) and each top-level element is parsed
// into a view only when it is needed.
//
// Shards: negotiation runs on the shard that accepted the connection. Once
// SASL has named the user, the session moves to the user's home shard (the
// connection and this object travel in one mailbox message), binds there
// and stays there, so that every session of a user shares one shard with
// the user's roster and presence state.
//
// Lifecycle: created by C2sService::Accept; deletes itself in OnClosed().
// While it travels between shards it is owned by the hand-over payload.
//
// Limits: the XML limits of C2sConfig (stanza size, depth, ...), SASL
// attempts per stream, time to authenticate, and the connection's send
// queue (a client that does not read is disconnected).

#include <memory>
#include <string>
#include <string_view>

#include "core/mailbox.h"
#include "core/timer_queue.h"
#include "net/connection.h"
#include "net/tls/tls_session.h"
#include "xmpp/c2s/c2s_service.h"
#include "xmpp/im/stanza_error.h"
#include "xmpp/jid/jid.h"
#include "xmpp/router/router.h"
#include "xmpp/sasl/scram.h"
#include "xmpp/xml/stanza.h"
#include "xmpp/xml/tokenizer.h"

namespace ringlet::xmpp {

class C2sSession final : public ConnectionHandler, public LocalSession {
 public:
  C2sSession(C2sService* service, Connection* connection);
  ~C2sSession() override;

  // Continues on a new shard after a hand-over.
  void Adopt(C2sService* service, Connection* connection);
  // The server is stopping: system-shutdown.
  void Shutdown();
  // Starts TLS on this connection (STARTTLS after <proceed/>, or at once on
  // the direct TLS port). Returns false if no session could be made.
  bool StartTls();

  // ConnectionHandler
  void OnReceive(Connection& connection, std::string_view bytes) override;
  void OnClosed(Connection& connection, const absl::Status& reason) override;
  void OnHandedOver(Connection& connection) override {}
  bool OnIdle(Connection& connection) override;

  // LocalSession
  const Jid& full_jid() const override { return jid_; }
  bool available() const override { return available_; }
  int priority() const override { return priority_; }
  bool interested() const override { return interested_; }
  const std::string& last_presence() const override { return last_presence_; }
  void Deliver(std::string_view stanza) override;
  size_t deliver_room() const override;
  void WhenWritten(absl::AnyInvocable<void(bool written)> done) override;
  void Kick(std::string_view condition, std::string_view text) override;

 private:
  enum class State { kAwaitStream, kOpen, kClosing };

  // Feeds plaintext XML to the tokenizer and handles its events. Returns
  // the bytes that follow an element after which the input changes hands
  // (STARTTLS: they are TLS records), or "" if all were consumed.
  std::string Process(std::string_view bytes);
  // Sends `bytes`, through TLS when it is up ("" flushes TLS records).
  void Transmit(std::string bytes);
  // Queues bytes on the connection; a client whose queue is full is cut off.
  void SendToConnection(std::string bytes);
  void OnStreamOpen();
  void OnElement(std::string_view element);
  void SendStreamHeader();
  void SendFeatures();
  void StreamError(std::string_view condition, std::string_view text = {});
  void Write(std::string bytes);

  // Negotiation.
  void OnAuth(const xml::ElementView& auth);
  void OnResponse(const xml::ElementView& response);
  void AuthFailed(std::string_view condition, std::string_view text = {});
  void AuthSucceeded(const std::string& local, std::string additional_data);
  void OnBind(const xml::ElementView& iq);

  // Stanzas of a bound session.
  void OnStanza(const xml::ElementView& stanza, std::string_view bytes);
  void OnPresence(const xml::ElementView& presence, std::string_view bytes, const Jid* to);
  void OnServerIq(const xml::ElementView& iq, std::string_view bytes);
  void ReplyError(const xml::ElementView& stanza, std::string_view bytes,
                  im::StanzaErrorCondition condition);
  void OnRosterIq(const xml::ElementView& iq, std::string_view bytes);
  void ReplyResult(const xml::ElementView& iq, std::string_view payload = {});
  // Stamps 'from' with this session's full JID and routes the stanza.
  void Route(const xml::ElementView& stanza, std::string_view bytes, const Jid& to);
  void EndSession();
  // Stops reading from the client until every shard the router reported
  // congested (its mailbox ring full) has drained: back-pressure for a
  // stanza that fanned out to more than the mailbox holds.
  void HoldReadingWhileCongested();

  C2sService* service_;
  Connection* connection_;
  State state_ = State::kAwaitStream;
  std::unique_ptr<xml::XmlTokenizer> tokenizer_;
  // The bytes passed to the tokenizer's last Feed() and its stream offset
  // then, so that a hand-over can carry what was not consumed yet.
  std::string_view feed_;
  uint64_t feed_start_offset_ = 0;
  bool restart_stream_ = false;
  bool handing_over_ = false;
  bool starting_tls_ = false;
  std::unique_ptr<TlsSession> tls_;
  std::string plaintext_;
  std::string carried_input_;

  std::string stream_id_;
  std::string domain_;
  bool header_sent_ = false;
  bool authenticated_ = false;
  bool bound_ = false;
  uint32_t sasl_failures_ = 0;
  std::string mechanism_;
  std::unique_ptr<sasl::ScramServer> scram_;
  TimerId auth_timer_ = kNoTimer;
  absl::Time accepted_at_;

  Jid jid_;  // bare after SASL, full after binding
  bool available_ = false;
  bool interested_ = false;
  int priority_ = 0;
  std::string last_presence_;
  // Shards whose drain this session waits for before reading again.
  uint32_t congested_waits_ = 0;
  // Expires when the session is deleted, so that a reply waiting for the
  // turn's storage commit can tell the session is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// What travels with a session's connection to its home shard.
struct C2sHandover final : public MailPayload {
  std::unique_ptr<C2sSession> session;
};

}  // namespace ringlet::xmpp
