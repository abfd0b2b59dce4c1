#include "xmpp/xml/stanza.h"

// The RapidXML adapter. RapidXML reports errors by throwing unless
// RAPIDXML_NO_EXCEPTIONS is defined, in which case it calls
// rapidxml::parse_error_handler(), which must not return. This is the only
// translation unit that includes rapidxml.hpp, so the definition below
// cannot disagree with another one.
#define RAPIDXML_NO_EXCEPTIONS
#include <rapidxml/rapidxml.hpp>

#include "core/check.h"
#include "xmpp/xml/entities.h"

namespace rapidxml {

// Only elements the tokenizer accepted reach RapidXML, so an error here is
// our bug: stop loudly rather than go on with a half-built tree.
void parse_error_handler(const char* what, void* /*where*/) {
  CHECK_MSG(false, what);
  __builtin_unreachable();
}

}  // namespace rapidxml

namespace ringlet::xml {
namespace {

using Document = rapidxml::xml_document<char>;
using Node = rapidxml::xml_node<char>;
using AttributeNode = rapidxml::xml_attribute<char>;

// Non-destructive: no terminators written, no entities translated in place
// (we decode on access), values point into the caller's bytes.
constexpr int kParseFlags = rapidxml::parse_non_destructive;

// RapidXML's public parse() reads top-level nodes until a NUL byte, but our
// element is a span inside a receive buffer, followed by whatever the peer
// sent next (or nothing). Its private parse_node() parses exactly one
// element and stops after its end tag, reading no further. Naming a private
// member in an explicit instantiation is allowed ([temp.spec.general]: the
// usual access checking rules do not apply), which is how we reach it.
using ParseNodeFn = Node* (Document::*)(char*&);
ParseNodeFn GetParseNode();
template <ParseNodeFn kFn>
struct ParseNodeAccess {
  friend ParseNodeFn GetParseNode() { return kFn; }
};
template struct ParseNodeAccess<&Document::parse_node<kParseFlags>>;

std::string_view NameOf(const Node* node) {
  return std::string_view(node->name(), node->name_size());
}
std::string_view NameOf(const AttributeNode* attribute) {
  return std::string_view(attribute->name(), attribute->name_size());
}
std::string_view ValueOf(const AttributeNode* attribute) {
  return std::string_view(attribute->value(), attribute->value_size());
}

std::string_view LocalPart(std::string_view qualified_name) {
  const size_t colon = qualified_name.find(':');
  return colon == std::string_view::npos ? qualified_name : qualified_name.substr(colon + 1);
}

const Node* NextElement(const Node* node) {
  while (node != nullptr && node->type() != rapidxml::node_element) {
    node = node->next_sibling();
  }
  return node;
}

}  // namespace

StanzaParser::StanzaParser() : document_(std::make_unique<Document>()) {}
StanzaParser::~StanzaParser() = default;

ElementView StanzaParser::Parse(std::string_view element,
                                const NamespaceContext& inherited) {
  CHECK(element.size() >= 3 && element[0] == '<');
  document_->clear();
  // Non-destructive mode never writes through this pointer.
  char* text = const_cast<char*>(element.data()) + 1;
  Node* node = (document_.get()->*GetParseNode())(text);
  CHECK(node != nullptr && node->type() == rapidxml::node_element);
  CHECK(text == element.data() + element.size());
  document_->append_node(node);
  return ElementView(node, &inherited);
}

std::string_view ElementView::qualified_name() const { return NameOf(node_); }

std::string_view ElementView::name() const { return LocalPart(NameOf(node_)); }

std::string_view ElementView::prefix() const {
  const std::string_view qualified = NameOf(node_);
  const size_t colon = qualified.find(':');
  return colon == std::string_view::npos ? std::string_view() : qualified.substr(0, colon);
}

std::string_view ElementView::ResolveNamespace(std::string_view prefix, bool* raw) const {
  for (const Node* n = node_; n != nullptr && n->type() == rapidxml::node_element;
       n = n->parent()) {
    for (const AttributeNode* a = n->first_attribute(); a != nullptr; a = a->next_attribute()) {
      const std::string_view name = NameOf(a);
      if (prefix.empty() ? name == "xmlns"
                         : (name.size() == 6 + prefix.size() &&
                            name.substr(0, 6) == "xmlns:" && name.substr(6) == prefix)) {
        *raw = true;
        return ValueOf(a);
      }
    }
  }
  *raw = false;
  if (prefix.empty()) return inherited_->default_namespace();
  const std::string* uri = inherited_->Lookup(prefix);
  // The tokenizer refused undeclared prefixes; a stanza parsed against
  // another stream's bindings could still miss one: no namespace then.
  return uri != nullptr ? std::string_view(*uri) : std::string_view();
}

std::string ElementView::namespace_uri() const {
  bool raw;
  const std::string_view uri = ResolveNamespace(prefix(), &raw);
  if (!raw) return std::string(uri);
  std::string decoded;
  if (!AppendDecodedAttributeValue(uri, &decoded).ok()) return std::string();
  return decoded;
}

bool ElementView::Is(std::string_view local, std::string_view ns) const {
  if (node_ == nullptr || name() != local) return false;
  bool raw;
  const std::string_view uri = ResolveNamespace(prefix(), &raw);
  return raw ? AttributeValueEquals(uri, ns) : uri == ns;
}

std::optional<std::string_view> ElementView::RawAttribute(
    std::string_view qualified_name) const {
  for (const AttributeNode* a = node_->first_attribute(); a != nullptr; a = a->next_attribute()) {
    if (NameOf(a) == qualified_name) return ValueOf(a);
  }
  return std::nullopt;
}

std::optional<std::string> ElementView::Attribute(std::string_view qualified_name) const {
  const std::optional<std::string_view> raw = RawAttribute(qualified_name);
  if (!raw.has_value()) return std::nullopt;
  std::string value;
  if (!AppendDecodedAttributeValue(*raw, &value).ok()) return std::nullopt;
  return value;
}

std::string ElementView::Lang() const {
  for (ElementView e = *this; e; e = e.Parent()) {
    if (std::optional<std::string> lang = e.Attribute("xml:lang")) return *lang;
  }
  return std::string();
}

void ElementView::ForEachAttribute(
    absl::FunctionRef<void(std::string_view, std::string_view)> f) const {
  for (const AttributeNode* a = node_->first_attribute(); a != nullptr; a = a->next_attribute()) {
    f(NameOf(a), ValueOf(a));
  }
}

ElementView ElementView::FirstChild() const {
  return Wrap(NextElement(node_->first_node()));
}

ElementView ElementView::Child(std::string_view local, std::string_view ns) const {
  ElementView child = FirstChild();
  while (child && !child.Is(local, ns)) child = child.NextSibling();
  return child;
}

ElementView ElementView::NextSibling() const {
  return Wrap(NextElement(node_->next_sibling()));
}

ElementView ElementView::NextSibling(std::string_view local, std::string_view ns) const {
  ElementView sibling = NextSibling();
  while (sibling && !sibling.Is(local, ns)) sibling = sibling.NextSibling();
  return sibling;
}

ElementView ElementView::Parent() const {
  const Node* parent = node_->parent();
  if (parent == nullptr || parent->type() != rapidxml::node_element) return ElementView();
  return Wrap(parent);
}

std::string ElementView::Text() const {
  std::string text;
  for (const Node* n = node_->first_node(); n != nullptr; n = n->next_sibling()) {
    const std::string_view raw(n->value(), n->value_size());
    if (n->type() == rapidxml::node_data) {
      // Validated by the tokenizer; a failure leaves what was decoded.
      (void)AppendDecodedText(raw, &text);
    } else if (n->type() == rapidxml::node_cdata) {
      AppendCdataText(raw, &text);
    }
  }
  return text;
}

std::optional<std::string> ElementView::ChildText(std::string_view local,
                                                  std::string_view ns) const {
  const ElementView child = Child(local, ns);
  if (!child) return std::nullopt;
  return child.Text();
}

}  // namespace ringlet::xml
