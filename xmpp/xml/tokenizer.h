#pragma once

// XmlTokenizer: the incremental, zero-copy tokenizer for one direction of an
// XMPP stream (one endless XML document).
//
// Bytes go in as they arrive from the network, in pieces of any size (down
// to one byte); events come out: the stream opened (StreamHeader), one
// complete top-level child of the stream (a stanza or a negotiation
// element) as a byte span, the stream closed, or an error naming the RFC
// 6120 stream error to send. Feeding the same bytes split at any boundaries
// yields the same events.
//
// Zero-copy: an element that lies within one buffer passed to Feed() is
// returned as a view of that buffer. Only an element that straddles two or
// more buffers is copied, once, into the tokenizer's assembly buffer, which
// never grows past XmlLimits::stanza_bytes_max (and is released after use
// when it grew past kAssemblyKeepBytes).
//
// What it accepts (RFC 6120 §11 "restricted XML"): XML 1.0 + Namespaces in
// UTF-8; an XML declaration only at the very start (version 1.x, encoding
// UTF-8, or none); a UTF-8 BOM at the very start; both quote styles;
// character references and the five predefined entities; CDATA sections
// inside stanzas; QNames with any declared prefix ("stream:", "db:", ...)
// and "xml:" (always bound). Between stanzas only whitespace is allowed.
// Refused, never expanded: DOCTYPE/DTD (restricted-xml), comments
// (restricted-xml), processing instructions (restricted-xml), other entity
// references (restricted-xml). Refused as not-well-formed: invalid UTF-8
// (overlongs, surrogates, truncated sequences, > U+10FFFF), characters XML
// forbids, bad names, duplicate attributes (also by namespace + local
// name), mismatched tags, "]]>" in text, misuse of the xml/xmlns prefixes.
// An undeclared prefix is bad-namespace-prefix; text at stream level is
// bad-format; anything over a limit (XmlLimits) is policy-violation.
//
// Memory: bounded by the limits whatever a peer sends (about
// stanza_bytes_max for the assembly buffer + depth_max * name_bytes_max for
// the open names + the stream header). Work is linear in the input:
// nothing is expanded, so billion-laughs or quadratic-blowup inputs cost
// one pass and an error.
//
// Lifecycle: one per connection direction, touched only by the connection's
// shard; it can move to another shard with its connection (it holds no
// pointers into other objects between Next() calls that returned kNeedMore).
// RestartStream() starts a new stream after STARTTLS or SASL success.
//
// Usage:
//   tokenizer.Feed(bytes);
//   for (XmlEvent event = tokenizer.Next(); event.type != XmlEventType::kNeedMore;
//        event = tokenizer.Next()) { ... }
//   // Now `bytes` may be released.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/xml/limits.h"
#include "xmpp/xml/namespaces.h"
#include "xmpp/xml/stream_error.h"

namespace ringlet::xml {

enum class XmlEventType {
  kNeedMore,     // every byte fed so far is consumed; Feed() more
  kStreamOpen,   // the stream root's start tag: see stream_header()
  kElement,      // one complete top-level child of the stream: `element`
  kStreamClose,  // the stream root's end tag (or an empty root element)
  kError,        // the stream is broken: send `error`, then close
};

struct XmlError {
  StreamErrorCondition condition = StreamErrorCondition::kNotWellFormed;
  // What was wrong, for logs; a static string.
  const char* detail = "";
  // Offset in the stream (bytes since it started) where it was detected.
  uint64_t stream_offset = 0;
};

struct XmlEvent {
  XmlEventType type = XmlEventType::kNeedMore;
  // kElement: the element's bytes, from its '<' to its last '>'. Valid until
  // the next call to Next(), Feed() or RestartStream(), and no longer than
  // the buffer last passed to Feed().
  std::string_view element;
  // kError: the stream error to send.
  XmlError error;
};

// An attribute as written: qualified name and the raw value between the
// quotes (references not decoded; see xmpp/xml/entities.h).
struct XmlAttribute {
  std::string_view name;
  std::string_view raw_value;
};

// The stream root's start tag (<stream:stream ...>), copied: every view is
// valid until RestartStream() or the tokenizer's destruction.
class StreamHeader {
 public:
  // The qualified name, e.g. "stream:stream".
  std::string_view name() const { return name_; }
  // The namespace of the root element, e.g. kNsStreams.
  const std::string& namespace_uri() const { return namespace_uri_; }
  size_t attribute_count() const { return attributes_.size(); }
  XmlAttribute attribute(size_t i) const;
  // Returns the decoded value of the attribute named `qualified_name`
  // (e.g. "to", "xml:lang"), or nullopt if absent.
  std::optional<std::string> Attribute(std::string_view qualified_name) const;
  // The bindings the stream puts in scope for every stanza in it.
  const NamespaceContext& namespaces() const { return namespaces_; }

 private:
  friend class XmlTokenizer;
  struct Span {
    uint32_t name_begin, name_size, value_begin, value_size;
  };
  void Clear();

  std::string name_;
  std::string namespace_uri_;
  std::string storage_;  // names and raw values, back to back
  std::vector<Span> attributes_;
  NamespaceContext namespaces_;
};

class XmlTokenizer {
 public:
  // The assembly buffer's capacity kept between straddling elements.
  static constexpr size_t kAssemblyKeepBytes = 16384;

  // `limits` must be valid (CHECKed: validate flags at start-up).
  explicit XmlTokenizer(const XmlLimits& limits);

  XmlTokenizer(const XmlTokenizer&) = delete;
  XmlTokenizer& operator=(const XmlTokenizer&) = delete;

  // Hands over the next bytes of the stream, read in place. Call it only
  // when Next() has returned kNeedMore (or before the first Next()). The
  // bytes must stay valid and unchanged until Next() returns kNeedMore again;
  // after that the tokenizer holds no pointer into them.
  void Feed(std::string_view bytes);

  // Returns the next event. After kError every call returns the same error;
  // after kStreamClose only whitespace may follow.
  XmlEvent Next();

  // Starts a new stream (after STARTTLS or SASL success): forgets the old
  // stream's header, bindings and state, and reads the rest of the bytes
  // last fed as the start of the new stream. Invalidates every view
  // returned so far.
  void RestartStream();

  // Valid after kStreamOpen, until RestartStream().
  const StreamHeader& stream_header() const { return header_; }

  // Returns whether no construct is half-read: the bytes fed so far end
  // between stanzas, before the root or after the stream close (so a peer
  // closing its socket now did not cut anything off).
  bool idle() const;

  // Bytes consumed since the stream started.
  uint64_t stream_offset() const { return consumed_before_ + pos_; }

  // Bytes of heap this tokenizer holds (for per-connection accounting).
  size_t memory_bytes() const;

 private:
  enum class State : uint8_t;
  enum class AttrKind : uint8_t { kPlain, kXmlnsDefault, kXmlnsPrefix };
  struct TagAttr {
    uint32_t name_begin;  // in tag_attr_names_, or in in_ if name_in_buffer
    uint32_t name_size;
    bool name_in_buffer;  // read in place by a fast path; copied at buffer end
    uint32_t colon;       // index of ':' in the name, or kNoColon
    AttrKind kind;
    uint32_t value_begin;  // in header_.storage_ (stream root only)
    uint32_t value_size;
  };
  struct Binding {
    uint32_t prefix_begin, prefix_size, uri_begin, uri_size;  // in ns_arena_
  };
  static constexpr uint32_t kNoColon = UINT32_MAX;

  bool Step(XmlEvent* event);
  bool Fail(StreamErrorCondition condition, const char* detail);
  XmlEvent ErrorEvent() const;
  void SaveAcrossBuffers();
  void ResetState();

  uint64_t Offset() const { return consumed_before_ + pos_; }
  // Where a fast scan must stop: the end of the buffer or the byte at
  // stream offset `limit_end`, whichever comes first. Scans stop at limits
  // (not only at buffer ends) so that any split of the input gives the same
  // events and errors.
  // A limit may lie before this buffer (a multi-byte character that started
  // before it ended in this buffer): then the scan ends at once.
  const unsigned char* ScanEnd(uint64_t limit_end) const {
    if (limit_end <= consumed_before_) return in_;
    return in_ + std::min<uint64_t>(in_size_, limit_end - consumed_before_);
  }
  // One past the last byte a stanza may use, plus one (to detect excess).
  uint64_t StanzaLimitEnd() const { return top_begin_ + limits_.stanza_bytes_max + 1; }
  void BeginToken(size_t limit);
  std::string_view EndToken();
  bool ConsumeUtf8(uint32_t* code_point);  // false: failed or need more
  bool AcceptCodePoint(uint32_t code_point);
  // Consumes the character a scan stopped at that is not a delimiter: a
  // UTF-8 sequence (checked) or a forbidden control byte (an error).
  void ConsumeCharacter(unsigned char lead);

  // Fast paths: read whole constructs that lie in the current buffer and
  // within every limit, in one go (see the comment above StanzaStop() in
  // tokenizer.cc). Each leaves the tokenizer exactly where the byte-by-byte
  // states would have, or backs off to the last such point.
  size_t StanzaStop() const;
  size_t ScanSimpleName(size_t begin, size_t stop, uint32_t* colon) const;
  bool FastInTag(XmlEvent* event, bool* progressed);
  bool FastLt(XmlEvent* event, bool* progressed);
  bool FastReference(size_t* at) const;
  size_t FastChar(size_t at) const;

  bool StepName();
  bool OnStartName(std::string_view name);
  // `in_buffer`: `name` lies in the current buffer (it is not copied then).
  bool OnAttrName(std::string_view name, bool in_buffer = false);
  std::string_view AttrName(const TagAttr& attr) const {
    const char* base =
        attr.name_in_buffer ? reinterpret_cast<const char*>(in_) : tag_attr_names_.data();
    return std::string_view(base + attr.name_begin, attr.name_size);
  }
  bool OnAttrValue(std::string_view raw);
  bool OnEndName(std::string_view name);
  bool FinishStartTag(bool empty, XmlEvent* event);
  bool CloseElement(XmlEvent* event);
  bool LookupPrefix(std::string_view prefix, std::string_view* uri) const;
  bool ParseDeclaration();

  XmlLimits limits_;

  // The buffer being read.
  const unsigned char* in_ = nullptr;
  size_t in_size_ = 0;
  size_t pos_ = 0;
  uint64_t consumed_before_ = 0;  // stream offset of in_[0]

  State state_;
  State ref_return_;  // state to resume after an entity/character reference
  bool failed_ = false;
  XmlError error_;
  bool pending_close_ = false;
  bool saw_space_ = false;      // whitespace since the last name/value in a tag
  bool name_need_start_ = false;
  uint32_t name_colon_ = kNoColon;
  unsigned char quote_ = 0;
  uint8_t brackets_ = 0;        // run of ']' seen (for "]]>")
  uint8_t match_ = 0;           // progress through "CDATA[" or the BOM
  uint8_t ref_size_ = 0;
  uint8_t ref_digits_ = 0;
  char ref_name_[8];
  uint32_t ref_value_ = 0;
  unsigned char utf8_pending_[4];
  uint8_t utf8_pending_size_ = 0;

  // The top-level construct being read (stream header or stanza).
  bool top_active_ = false;
  bool top_is_stanza_ = false;
  uint64_t top_begin_ = 0;  // stream offset of its '<'
  bool assembling_ = false;
  bool release_assembly_ = false;
  std::string assembly_;

  // The token (name or captured value) being read.
  bool token_active_ = false;
  uint64_t token_begin_ = 0;
  size_t token_limit_ = 0;
  std::string token_partial_;  // its bytes from earlier buffers
  bool capture_value_ = false;
  uint64_t value_begin_ = 0;

  // Open elements (qualified names, back to back) and their bindings.
  std::string open_names_;
  struct OpenElement {
    uint32_t name_begin, name_end;  // in open_names_
    uint32_t colon;                 // as TagAttr::colon
    uint32_t binding_mark;          // bindings_.size() before its own
  };
  // One entry per open element (one vector, so opening and closing an
  // element is one push and one pop).
  std::vector<OpenElement> open_elements_;
  std::string_view OpenName(const OpenElement& e) const {
    return std::string_view(open_names_.data() + e.name_begin, e.name_end - e.name_begin);
  }
  std::string ns_arena_;
  std::vector<Binding> bindings_;

  // Attributes of the start tag being read.
  std::string tag_attr_names_;
  std::vector<TagAttr> tag_attrs_;
  bool tag_has_prefixed_attr_ = false;  // one needs its namespace checked

  std::string declaration_;
  StreamHeader header_;
};

}  // namespace ringlet::xml
