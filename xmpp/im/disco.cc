#include "xmpp/im/disco.h"

#include <algorithm>

#include "xmpp/im/internal/iq.h"
#include "xmpp/xml/serializer.h"

namespace ringlet::im {

std::optional<DiscoRequest> ParseDiscoRequest(const xml::ElementView& iq) {
  if (iq.name() != "iq" || iq.Attribute("type") != "get") return std::nullopt;
  DiscoRequest request;
  xml::ElementView query = iq.Child("query", kNsDiscoInfo);
  if (query) {
    request.kind = DiscoKind::kInfo;
  } else if ((query = iq.Child("query", kNsDiscoItems))) {
    request.kind = DiscoKind::kItems;
  } else {
    return std::nullopt;
  }
  request.node = query.Attribute("node").value_or("");
  return request;
}

std::string BuildDiscoInfoResult(std::string_view id, std::string_view from, std::string_view to,
                                 std::string_view node, std::span<const DiscoIdentity> identities,
                                 std::span<const std::string> features) {
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "result", id, from, to);
  w.Open("query").Attribute("xmlns", kNsDiscoInfo);
  if (!node.empty()) w.Attribute("node", node);
  for (const DiscoIdentity& identity : identities) {
    w.Open("identity").Attribute("category", identity.category).Attribute("type", identity.type);
    if (!identity.name.empty()) w.Attribute("name", identity.name);
    w.Close();
  }
  if (std::find(features.begin(), features.end(), kNsDiscoInfo) == features.end()) {
    w.Open("feature").Attribute("var", kNsDiscoInfo).Close();
  }
  for (const std::string& feature : features) w.Open("feature").Attribute("var", feature).Close();
  w.Close().Close();
  return out;
}

std::string BuildServerDiscoInfo(std::string_view id, std::string_view server,
                                 std::string_view to, std::span<const std::string> features) {
  const DiscoIdentity identity{.category = "server", .type = "im", .name = "ringlet"};
  return BuildDiscoInfoResult(id, server, to, "", {&identity, 1}, features);
}

std::optional<std::string> BuildAccountDiscoInfo(std::string_view id, std::string_view account,
                                                 std::string_view to, bool requester_allowed,
                                                 std::span<const std::string> features) {
  if (!requester_allowed) return std::nullopt;
  const DiscoIdentity identity{.category = "account", .type = "registered"};
  return BuildDiscoInfoResult(id, account, to, "", {&identity, 1}, features);
}

std::string BuildDiscoItemsResult(std::string_view id, std::string_view from,
                                  std::string_view to, std::string_view node,
                                  std::span<const DiscoItem> items) {
  std::string out;
  xml::XmlWriter w(&out);
  internal::OpenIq(w, "result", id, from, to);
  w.Open("query").Attribute("xmlns", kNsDiscoItems);
  if (!node.empty()) w.Attribute("node", node);
  for (const DiscoItem& item : items) {
    w.Open("item").Attribute("jid", item.jid);
    if (!item.node.empty()) w.Attribute("node", item.node);
    if (!item.name.empty()) w.Attribute("name", item.name);
    w.Close();
  }
  w.Close().Close();
  return out;
}

}  // namespace ringlet::im
