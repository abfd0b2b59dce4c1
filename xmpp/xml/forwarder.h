#pragma once

// Re-emits a received stanza with its `from` and/or `to` stamped, copying
// every other byte of the original once: the routing path's serializer.
//
// Only the start tag of the stanza is rewritten: the attributes being
// stamped are dropped where they were and written, escaped, right after the
// element name; all other attributes, the content and the end tag are
// copied as the peer sent them (they were validated by XmlTokenizer, so
// they are well-formed). The stanza keeps inheriting the default namespace
// of the stream it is written to (jabber:client or jabber:server), which is
// what RFC 6120 §4.8.3 asks of a server routing between the two. Prefixes
// the stanza may use from its source stream's header (e.g. a "db:" bound
// there) are declared on the stanza (every source prefix except "stream",
// unless the stanza declares it itself), so that the output is
// namespace-well-formed on any stream.

#include <optional>
#include <string>
#include <string_view>

#include "xmpp/xml/namespaces.h"

namespace ringlet::xml {

struct StanzaStamp {
  // A value replaces the attribute (or adds it); nullopt keeps it as sent.
  std::optional<std::string_view> from;
  std::optional<std::string_view> to;
  // The bindings of the stream the stanza came from, or nullptr.
  const NamespaceContext* source_namespaces = nullptr;
};

// Appends `element` (a kElement span from XmlTokenizer) to `out` with the
// attributes in `stamp` set. Returns false, appending nothing, if `element`
// does not start with a well-formed start tag (a caller bug).
bool AppendStampedStanza(std::string_view element, const StanzaStamp& stamp,
                         std::string* out);

}  // namespace ringlet::xml
