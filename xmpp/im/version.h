#pragma once

// Software version (XEP-0092): parsing a jabber:iq:version get and building
// the server's reply. The OS is left out unless the operator configured
// one (XEP-0092 §5: revealing it helps attackers).

#include <string>
#include <string_view>

#include "xmpp/xml/stanza.h"

namespace ringlet::im {

inline constexpr std::string_view kNsVersion = "jabber:iq:version";

struct SoftwareVersion {
  std::string name = "ringlet";
  std::string version;
  std::string os;  // "" to leave <os/> out
};

// Returns whether `iq` is a get with a {jabber:iq:version}query child.
bool IsVersionRequest(const xml::ElementView& iq);

// Builds the result.
std::string BuildVersionResult(std::string_view id, std::string_view from, std::string_view to,
                               const SoftwareVersion& software);

}  // namespace ringlet::im
