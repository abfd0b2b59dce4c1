#pragma once

// Private helper of xmpp/im: the start tag of an iq reply.

#include <string_view>

#include "xmpp/xml/serializer.h"

namespace ringlet::im::internal {

// Opens <iq type=... id=... [from=...] [to=...]>; empty from/to are left out
// (on a c2s stream the server's own replies need neither).
inline xml::XmlWriter& OpenIq(xml::XmlWriter& w, std::string_view type, std::string_view id,
                              std::string_view from, std::string_view to) {
  w.Open("iq").Attribute("type", type).Attribute("id", id);
  if (!from.empty()) w.Attribute("from", from);
  if (!to.empty()) w.Attribute("to", to);
  return w;
}

}  // namespace ringlet::im::internal
