#pragma once

// Namespace names the XML layer knows, and NamespaceContext: the namespace
// bindings a stream's root element puts in scope for every stanza in it.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringlet::xml {

inline constexpr std::string_view kNsXml = "http://www.w3.org/XML/1998/namespace";
inline constexpr std::string_view kNsXmlns = "http://www.w3.org/2000/xmlns/";
inline constexpr std::string_view kNsStreams = "http://etherx.jabber.org/streams";
inline constexpr std::string_view kNsClient = "jabber:client";
inline constexpr std::string_view kNsServer = "jabber:server";
inline constexpr std::string_view kNsDialback = "jabber:server:dialback";
// Stream negotiation (RFC 6120), shared by the server and the load generator.
inline constexpr std::string_view kNsTls = "urn:ietf:params:xml:ns:xmpp-tls";
inline constexpr std::string_view kNsSasl = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view kNsSaslChannelBinding = "urn:xmpp:sasl-cb:0";  // XEP-0440
inline constexpr std::string_view kNsBind = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view kNsSession = "urn:ietf:params:xml:ns:xmpp-session";
inline constexpr std::string_view kNsStreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";

// The bindings in scope at the stream root: its default namespace (e.g.
// "jabber:client") and its prefixes (e.g. stream:, db:), with values
// decoded. Owned strings: valid for the lifetime of the object. Built by the
// tokenizer when the stream opens, read by the stanza layer (StanzaParser)
// to resolve what a stanza inherits.
class NamespaceContext {
 public:
  NamespaceContext() = default;

  // Binds the default namespace ("" unbinds it).
  void SetDefault(std::string_view uri) { default_namespace_ = std::string(uri); }
  // Binds `prefix`; a later binding of the same prefix replaces it.
  void Bind(std::string_view prefix, std::string_view uri);

  const std::string& default_namespace() const { return default_namespace_; }
  // Returns the namespace bound to `prefix` ("xml" is always bound), or
  // nullptr if none is.
  const std::string* Lookup(std::string_view prefix) const;

  void Clear();

  // The prefix bindings, in declaration order.
  const std::vector<std::pair<std::string, std::string>>& prefixes() const {
    return prefixes_;
  }

 private:
  std::string default_namespace_;
  std::vector<std::pair<std::string, std::string>> prefixes_;
};

}  // namespace ringlet::xml
