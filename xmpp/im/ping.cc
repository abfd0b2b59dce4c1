#include "xmpp/im/ping.h"

#include "xmpp/im/internal/iq.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::im {

bool IsPingRequest(const xml::ElementView& iq) {
  return iq.name() == "iq" && iq.Attribute("type") == "get" &&
         static_cast<bool>(iq.Child("ping", kNsPing));
}

std::string BuildPingResult(std::string_view id, std::string_view from, std::string_view to) {
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "result", id, from, to).Close();
  return out;
}

}  // namespace ringlet::im
