#include "xmpp/im/version.h"

#include "xmpp/im/internal/iq.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::im {

bool IsVersionRequest(const xml::ElementView& iq) {
  return iq.name() == "iq" && iq.Attribute("type") == "get" &&
         static_cast<bool>(iq.Child("query", kNsVersion));
}

std::string BuildVersionResult(std::string_view id, std::string_view from, std::string_view to,
                               const SoftwareVersion& software) {
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "result", id, from, to);
  w.Open("query").Attribute("xmlns", kNsVersion);
  w.Open("name").Text(software.name).Close();
  w.Open("version").Text(software.version).Close();
  if (!software.os.empty()) w.Open("os").Text(software.os).Close();
  w.Close().Close();
  return out;
}

}  // namespace ringlet::im
