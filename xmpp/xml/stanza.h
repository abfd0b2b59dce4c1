#pragma once

// The stanza model: read-only views over a complete element parsed in place
// by RapidXML, with namespaces resolved and entities decoded on access.
//
// StanzaParser is reused (one per shard is enough): Parse() takes one
// top-level element exactly as XmlTokenizer returned it (kElement) and
// builds RapidXML's node tree over those bytes without changing or copying
// them (non-destructive mode). Nodes live in the parser's memory pool.
//
// RapidXML's error path never protects us: it only ever sees an element our
// tokenizer already checked (well-formed, namespace-well-formed, bounded
// depth). It is compiled with RAPIDXML_NO_EXCEPTIONS, and its error handler
// is a CHECK failure, since reaching it means that our tokenizer accepted
// something it must not (a bug of ours, not the peer's). The adapter is the
// only file that includes rapidxml.hpp (xmpp/xml/stanza.cc).
//
// Validity: an ElementView (and every view it returns) is valid until the
// next Parse() on its parser or until the element's bytes or the
// NamespaceContext given to Parse() are released, whichever comes first.
//
// Namespaces: RapidXML knows nothing about them; ElementView resolves a
// prefix (or the default namespace) through the xmlns declarations of the
// element and its ancestors, and then through the stream's bindings
// (StreamHeader::namespaces(), e.g. default "jabber:client").

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "xmpp/xml/namespaces.h"

namespace rapidxml {
template <class Ch>
class xml_node;
template <class Ch>
class xml_document;
}  // namespace rapidxml

namespace ringlet::xml {

class ElementView {
 public:
  // A null view (e.g. a child that is not there); false in a condition.
  ElementView() = default;
  explicit operator bool() const { return node_ != nullptr; }

  // The name as written ("db:result"), its local part and its prefix.
  std::string_view qualified_name() const;
  std::string_view name() const;
  std::string_view prefix() const;

  // Returns the element's namespace, decoded ("" if it has none).
  std::string namespace_uri() const;
  // Returns whether the element is {`ns`}`local`, without allocating.
  bool Is(std::string_view local, std::string_view ns) const;

  // Returns the attribute named `qualified_name` ("to", "xml:lang") as
  // written between the quotes, or nullopt.
  std::optional<std::string_view> RawAttribute(std::string_view qualified_name) const;
  // Returns the attribute's decoded value, or nullopt.
  std::optional<std::string> Attribute(std::string_view qualified_name) const;
  // Returns the xml:lang in effect (this element's or the nearest
  // ancestor's within the stanza), or "" (the stream's applies).
  std::string Lang() const;

  // Calls f(qualified_name, raw_value) for each attribute, in order.
  void ForEachAttribute(
      absl::FunctionRef<void(std::string_view, std::string_view)> f) const;

  // Returns the first child element, or the first one that is
  // {`ns`}`local`; null if none.
  ElementView FirstChild() const;
  ElementView Child(std::string_view local, std::string_view ns) const;
  // Returns the next sibling element, or the next one that is
  // {`ns`}`local`; null if none.
  ElementView NextSibling() const;
  ElementView NextSibling(std::string_view local, std::string_view ns) const;
  ElementView Parent() const;

  // Returns the decoded character data directly inside this element
  // (text and CDATA sections, in order; not that of child elements).
  std::string Text() const;
  // Returns the text of the child {`ns`}`local`, or nullopt if absent.
  std::optional<std::string> ChildText(std::string_view local, std::string_view ns) const;

 private:
  friend class StanzaParser;
  using Node = rapidxml::xml_node<char>;
  ElementView(const Node* node, const NamespaceContext* inherited)
      : node_(node), inherited_(inherited) {}
  // Returns the namespace bound to `prefix` ("" = default) as written, and
  // whether it is raw (from an xmlns attribute, undecoded).
  std::string_view ResolveNamespace(std::string_view prefix, bool* raw) const;
  ElementView Wrap(const Node* node) const { return ElementView(node, inherited_); }

  const Node* node_ = nullptr;
  const NamespaceContext* inherited_ = nullptr;
};

class StanzaParser {
 public:
  StanzaParser();
  ~StanzaParser();
  StanzaParser(const StanzaParser&) = delete;
  StanzaParser& operator=(const StanzaParser&) = delete;

  // Parses `element`, a kElement span from XmlTokenizer, in place; the
  // stanza inherits the bindings in `inherited`. Returns the view of its
  // root. Passing bytes the tokenizer did not accept is a bug (CHECK).
  ElementView Parse(std::string_view element, const NamespaceContext& inherited);

 private:
  std::unique_ptr<rapidxml::xml_document<char>> document_;
};

}  // namespace ringlet::xml
