#pragma once

// LocalSession: a bound client session as the router and the feature
// modules see it (implemented by c2s). It lives on its user's home shard
// and is used only there.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "xmpp/jid/jid.h"

namespace ringlet::xmpp {

class LocalSession {
 public:
  virtual const Jid& full_jid() const = 0;
  // True between the session's initial presence and its unavailable one.
  virtual bool available() const = 0;
  virtual int priority() const = 0;
  // True once the session requested the roster (RFC 6121 §2.1.6).
  virtual bool interested() const = 0;
  // The session's last broadcast presence stanza (from stamped), or "".
  virtual const std::string& last_presence() const = 0;
  // Queues a serialized stanza (jabber:client content) for the client.
  // Never ends the session or changes the router's tables from inside the
  // call (a client that does not read is cut off later, from its
  // connection's close), so callers may deliver while iterating sessions.
  virtual void Deliver(std::string_view stanza) = 0;
  // Bytes Deliver() can still queue before the client's send queue is full.
  virtual size_t deliver_room() const = 0;
  // Calls `done(true)` once everything delivered so far has been written
  // to the client's socket, or `done(false)` if the session ends first.
  // Not called from inside this call.
  virtual void WhenWritten(absl::AnyInvocable<void(bool written)> done) = 0;
  // Closes the session with stream error `condition` (e.g. "conflict").
  virtual void Kick(std::string_view condition, std::string_view text) = 0;

 protected:
  ~LocalSession() = default;
};

}  // namespace ringlet::xmpp
