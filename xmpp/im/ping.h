#pragma once

// XMPP Ping (XEP-0199): recognizing a ping and building its reply, an
// empty iq result. A ping to the server, or to an account's bare JID that
// the server answers on the user's behalf, gets this result; a ping to a
// full JID is routed to the resource like any iq (delivery.h).

#include <string>
#include <string_view>

#include "xmpp/xml/stanza.h"

namespace ringlet::im {

inline constexpr std::string_view kNsPing = "urn:xmpp:ping";

// Returns whether `iq` is a get with a {urn:xmpp:ping}ping child.
bool IsPingRequest(const xml::ElementView& iq);

// Builds <iq type='result' id=.. from=.. to=../>.
std::string BuildPingResult(std::string_view id, std::string_view from, std::string_view to);

}  // namespace ringlet::im
