#include "xmpp/xml/tokenizer.h"

#include <algorithm>
#include <cstring>

#include "core/check.h"
#include "xmpp/xml/entities.h"
#include "xmpp/xml/internal/chars.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace ringlet::xml {

using internal::DecodeUtf8;
using internal::IsNameChar;
using internal::IsNameStartChar;
using internal::IsXmlChar;
using internal::IsXmlSpace;
using internal::kUtf8Incomplete;
using internal::kUtf8Invalid;

// One state per place the grammar can be when a buffer ends.
enum class XmlTokenizer::State : uint8_t {
  kStart,         // very first byte: BOM, XML declaration or root
  kBom,           // inside the UTF-8 BOM
  kStartLt,       // "<" at the very start
  kDeclaration,   // inside "<?xml ... ?>"
  kProlog,        // before the root element
  kPrologLt,      // "<" in the prolog
  kStartName,     // element name in a start tag
  kInTag,         // between attributes
  kAttrName,
  kAttrEq,        // before '='
  kAttrQuote,     // after '=', before the quote
  kAttrValue,
  kEmptySlash,    // "/" in a start tag
  kBetween,       // stream level, between stanzas
  kText,          // character data inside a stanza
  kTextBracket,   // after ']' in character data
  kLt,            // "<" inside the stream
  kEndName,
  kEndAfterName,
  kBang,          // "<!"
  kCdataOpen,     // inside "<![CDATA["
  kCdata,
  kCdataBracket,  // after ']' in a CDATA section
  kRef,           // after '&'
  kRefName,
  kCharRef,       // after "&#"
  kCharRefDigits,
  kClosed,        // after the root's end tag
  kClosedLt,
};

namespace {

constexpr std::string_view kCdataOpen = "CDATA[";

// Byte classes for the scalar loops.
enum : uint8_t {
  kNameStart = 1,
  kName = 2,
  kTextSpecial = 4,   // bytes that end a run of character data
  kCdataSpecial = 8,  // bytes that end a run of CDATA
  kAttrSpecial = 16,  // bytes that end a run of attribute value (but quotes)
};

constexpr bool IsBadControl(unsigned c) {
  return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

struct ByteTable {
  uint8_t bits[256] = {};
  constexpr ByteTable() {
    for (unsigned c = 0; c < 256; ++c) {
      uint8_t b = 0;
      if (c < 0x80 && IsNameStartChar(c)) b |= kNameStart;
      if (c < 0x80 && IsNameChar(c)) b |= kName;
      const bool common = c >= 0x80 || IsBadControl(c);
      if (common || c == '<' || c == '&' || c == ']') b |= kTextSpecial;
      if (common || c == ']') b |= kCdataSpecial;
      if (common || c == '<' || c == '&' || c == '\'' || c == '"') b |= kAttrSpecial;
      bits[c] = b;
    }
  }
};
constexpr ByteTable kBytes;

// Returns the first byte in [p, end) with class `special`, or `end`.
// The SSE2 loop looks at 16 bytes at a time for bytes < 0x20 or >= 0x80 (one
// signed compare) and up to three delimiters. Tab, LF and CR are < 0x20 but
// allowed: rather than masking them out of every block (three more compares),
// a block that stops at one steps over it, since they are rare inside
// stanzas (kBetween skips the whitespace between stanzas itself).
template <uint8_t kSpecial>
inline const unsigned char* Scan(const unsigned char* p, const unsigned char* end,
                                 unsigned char d1, unsigned char d2,
                                 unsigned char d3) {
#ifdef __SSE2__
  const __m128i v20 = _mm_set1_epi8(0x20);
  const __m128i v1 = _mm_set1_epi8(static_cast<char>(d1));
  const __m128i v2 = _mm_set1_epi8(static_cast<char>(d2));
  const __m128i v3 = _mm_set1_epi8(static_cast<char>(d3));
  while (end - p >= 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i low = _mm_cmplt_epi8(b, v20);  // < 0x20 or >= 0x80
    const __m128i delim = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(b, v1), _mm_cmpeq_epi8(b, v2)),
        _mm_cmpeq_epi8(b, v3));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(low, delim)));
    while (mask != 0) {
      const unsigned char* const hit = p + __builtin_ctz(mask);
      if (!IsXmlSpace(*hit)) return hit;  // no delimiter is a space
      mask &= mask - 1;
    }
    p += 16;
  }
#endif
  while (p < end && !(kBytes.bits[*p] & kSpecial)) ++p;
  return p;
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y) return false;
  }
  return true;
}

}  // namespace

XmlAttribute StreamHeader::attribute(size_t i) const {
  const Span& s = attributes_[i];
  return {std::string_view(storage_).substr(s.name_begin, s.name_size),
          std::string_view(storage_).substr(s.value_begin, s.value_size)};
}

std::optional<std::string> StreamHeader::Attribute(
    std::string_view qualified_name) const {
  for (size_t i = 0; i < attributes_.size(); ++i) {
    const XmlAttribute a = attribute(i);
    if (a.name != qualified_name) continue;
    std::string value;
    // The tokenizer validated every reference, so this cannot fail.
    if (!AppendDecodedAttributeValue(a.raw_value, &value).ok()) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

void StreamHeader::Clear() {
  name_.clear();
  namespace_uri_.clear();
  storage_.clear();
  attributes_.clear();
  namespaces_.Clear();
}

XmlTokenizer::XmlTokenizer(const XmlLimits& limits) : limits_(limits) {
  CHECK_OK(limits.Validate());
  ResetState();
}

void XmlTokenizer::ResetState() {
  state_ = State::kStart;
  ref_return_ = State::kText;
  failed_ = false;
  error_ = XmlError();
  pending_close_ = false;
  saw_space_ = false;
  name_need_start_ = false;
  name_colon_ = kNoColon;
  brackets_ = 0;
  match_ = 0;
  utf8_pending_size_ = 0;
  top_active_ = false;
  top_is_stanza_ = false;
  assembling_ = false;
  release_assembly_ = false;
  assembly_.clear();
  token_active_ = false;
  token_partial_.clear();
  capture_value_ = false;
  open_names_.clear();
  open_elements_.clear();
  ns_arena_.clear();
  bindings_.clear();
  tag_attr_names_.clear();
  tag_attrs_.clear();
  declaration_.clear();
  header_.Clear();
}

void XmlTokenizer::RestartStream() {
  // The rest of the current buffer belongs to the new stream; offsets keep
  // counting so that errors point at the right byte of the connection.
  ResetState();
  if (assembly_.capacity() > kAssemblyKeepBytes) std::string().swap(assembly_);
}

size_t XmlTokenizer::memory_bytes() const {
  return assembly_.capacity() + token_partial_.capacity() + open_names_.capacity() +
         ns_arena_.capacity() + tag_attr_names_.capacity() +
         header_.storage_.capacity() + declaration_.capacity() +
         open_elements_.capacity() * sizeof(OpenElement) +
         bindings_.capacity() * sizeof(Binding) + tag_attrs_.capacity() * sizeof(TagAttr);
}

bool XmlTokenizer::idle() const {
  return !failed_ && utf8_pending_size_ == 0 && !pending_close_ &&
         (state_ == State::kBetween || state_ == State::kClosed ||
          state_ == State::kStart || state_ == State::kProlog);
}

void XmlTokenizer::Feed(std::string_view bytes) {
  DCHECK(pos_ == in_size_);
  consumed_before_ += in_size_;
  in_ = reinterpret_cast<const unsigned char*>(bytes.data());
  in_size_ = bytes.size();
  pos_ = 0;
}

bool XmlTokenizer::Fail(StreamErrorCondition condition, const char* detail) {
  if (!failed_) {
    failed_ = true;
    error_.condition = condition;
    error_.detail = detail;
    error_.stream_offset = Offset();
  }
  return false;
}

XmlEvent XmlTokenizer::ErrorEvent() const {
  XmlEvent event;
  event.type = XmlEventType::kError;
  event.error = error_;
  return event;
}

XmlEvent XmlTokenizer::Next() {
  if (failed_) return ErrorEvent();
  if (release_assembly_) {
    release_assembly_ = false;
    assembling_ = false;
    if (assembly_.capacity() > kAssemblyKeepBytes) {
      std::string().swap(assembly_);
    } else {
      assembly_.clear();
    }
  }
  XmlEvent event;
  if (pending_close_) {
    pending_close_ = false;
    state_ = State::kClosed;
    event.type = XmlEventType::kStreamClose;
    return event;
  }
  while (pos_ < in_size_) {
    if (Step(&event)) return event;
    if (failed_) return ErrorEvent();
    // Limits are checked after every step (scans stop at them), so that an
    // over-limit input gets the same error wherever it is split.
    if (utf8_pending_size_ == 0) {
      const bool in_value =
          state_ == State::kAttrValue ||
          (ref_return_ == State::kAttrValue &&
           (state_ == State::kRef || state_ == State::kRefName ||
            state_ == State::kCharRef || state_ == State::kCharRefDigits));
      if (in_value && Offset() - value_begin_ > limits_.attribute_value_bytes_max) {
        Fail(StreamErrorCondition::kPolicyViolation, "attribute value too long");
        return ErrorEvent();
      }
      if (top_active_ && Offset() - top_begin_ > limits_.stanza_bytes_max) {
        Fail(StreamErrorCondition::kPolicyViolation, "stanza too large");
        return ErrorEvent();
      }
    }
  }
  SaveAcrossBuffers();
  if (failed_) return ErrorEvent();
  return event;  // kNeedMore
}

// Keeps what the next buffer needs of this one: the partial token and the
// partial top-level element. Called when every byte has been read.
void XmlTokenizer::SaveAcrossBuffers() {
  // Attribute names read in place: copy them while this buffer is valid
  // (only those of a tag still open are used again).
  for (TagAttr& a : tag_attrs_) {
    if (!a.name_in_buffer) continue;
    const std::string_view name = AttrName(a);
    a.name_begin = static_cast<uint32_t>(tag_attr_names_.size());
    a.name_in_buffer = false;
    tag_attr_names_.append(name);
  }
  if (token_active_) {
    const size_t from =
        token_begin_ > consumed_before_ ? token_begin_ - consumed_before_ : 0;
    // A partial UTF-8 sequence is judged when it is complete, as it would be
    // if the buffer had not ended here.
    if (Offset() - utf8_pending_size_ - token_begin_ > token_limit_) {
      Fail(StreamErrorCondition::kPolicyViolation,
           token_limit_ == limits_.name_bytes_max ? "name too long"
                                                  : "attribute value too long");
      return;
    }
    token_partial_.append(reinterpret_cast<const char*>(in_) + from, in_size_ - from);
  }
  if (top_active_ && top_is_stanza_) {
    if (Offset() - utf8_pending_size_ - top_begin_ > limits_.stanza_bytes_max) {
      Fail(StreamErrorCondition::kPolicyViolation, "stanza too large");
      return;
    }
    const size_t from = assembling_ ? 0 : top_begin_ - consumed_before_;
    assembly_.append(reinterpret_cast<const char*>(in_) + from, in_size_ - from);
    assembling_ = true;
  }
}

void XmlTokenizer::BeginToken(size_t limit) {
  token_active_ = true;
  token_begin_ = Offset();
  token_limit_ = limit;
  token_partial_.clear();
}

std::string_view XmlTokenizer::EndToken() {
  token_active_ = false;
  const char* base = reinterpret_cast<const char*>(in_);
  if (token_begin_ >= consumed_before_) {
    const size_t from = token_begin_ - consumed_before_;
    return std::string_view(base + from, pos_ - from);
  }
  token_partial_.append(base, pos_);
  return token_partial_;
}

bool XmlTokenizer::ConsumeUtf8(uint32_t* code_point) {
  const int n = DecodeUtf8(in_ + pos_, in_size_ - pos_, code_point);
  if (n > 0) {
    pos_ += n;
    return true;
  }
  if (n == kUtf8Invalid) return Fail(StreamErrorCondition::kNotWellFormed, "invalid UTF-8");
  // Incomplete: keep the bytes and finish the sequence from the next buffer.
  utf8_pending_size_ = static_cast<uint8_t>(in_size_ - pos_);
  memcpy(utf8_pending_, in_ + pos_, utf8_pending_size_);
  pos_ = in_size_;
  return false;
}

void XmlTokenizer::ConsumeCharacter(unsigned char lead) {
  if (lead < 0x80) {
    Fail(StreamErrorCondition::kNotWellFormed, "character not allowed in XML");
    return;
  }
  uint32_t code_point;
  if (ConsumeUtf8(&code_point)) AcceptCodePoint(code_point);
}

bool XmlTokenizer::AcceptCodePoint(uint32_t c) {
  switch (state_) {
    case State::kStartName:
    case State::kAttrName:
    case State::kEndName:
      if (name_need_start_ ? !IsNameStartChar(c) : !IsNameChar(c)) {
        return Fail(StreamErrorCondition::kNotWellFormed, "bad name character");
      }
      name_need_start_ = false;
      return true;
    default:
      if (!IsXmlChar(c)) {
        return Fail(StreamErrorCondition::kNotWellFormed, "character not allowed in XML");
      }
      brackets_ = 0;
      return true;
  }
}

bool XmlTokenizer::LookupPrefix(std::string_view prefix, std::string_view* uri) const {
  for (size_t i = bindings_.size(); i-- > 0;) {
    const Binding& b = bindings_[i];
    if (std::string_view(ns_arena_).substr(b.prefix_begin, b.prefix_size) == prefix) {
      *uri = std::string_view(ns_arena_).substr(b.uri_begin, b.uri_size);
      return true;
    }
  }
  if (prefix == "xml") {
    *uri = kNsXml;
    return true;
  }
  return false;
}

// Reads name characters of the current name token; on its end dispatches.
bool XmlTokenizer::StepName() {
  // Scan no further than the name (or stanza) limit allows, so that a limit
  // is reported at the byte it is crossed, wherever the input is split.
  uint64_t limit_end = token_begin_ + limits_.name_bytes_max + 1;
  if (top_active_) limit_end = std::min(limit_end, StanzaLimitEnd());
  const unsigned char* const end = ScanEnd(limit_end);
  const unsigned char* p = in_ + pos_;
  while (true) {
    if (!name_need_start_) {
      while (p < end && (kBytes.bits[*p] & kName)) ++p;
    }
    pos_ = p - in_;
    if (p >= end) break;
    const unsigned char c = *p;
    if (c >= 0x80) {
      uint32_t code_point;
      if (!ConsumeUtf8(&code_point)) return false;
      if (!AcceptCodePoint(code_point)) return false;
      p = in_ + pos_;
      continue;
    }
    if (name_need_start_) {
      if (!(kBytes.bits[c] & kNameStart)) {
        return Fail(StreamErrorCondition::kNotWellFormed, "bad name");
      }
      name_need_start_ = false;
      ++p;
      continue;
    }
    if (c == ':') {
      if (name_colon_ != kNoColon) {
        return Fail(StreamErrorCondition::kNotWellFormed, "two colons in a name");
      }
      name_colon_ = static_cast<uint32_t>(Offset() - token_begin_);
      name_need_start_ = true;
      ++p;
      continue;
    }
    // The name ends here (name_need_start_ is false: it is not empty and
    // does not end in ':').
    const std::string_view name = EndToken();
    switch (state_) {
      case State::kStartName:
        return OnStartName(name);
      case State::kAttrName:
        return OnAttrName(name);
      default:
        return OnEndName(name);
    }
  }
  if (Offset() - token_begin_ > limits_.name_bytes_max) {
    return Fail(StreamErrorCondition::kPolicyViolation, "name too long");
  }
  if (top_active_ && Offset() - top_begin_ > limits_.stanza_bytes_max) {
    return Fail(StreamErrorCondition::kPolicyViolation, "stanza too large");
  }
  return false;
}

bool XmlTokenizer::OnStartName(std::string_view name) {
  // The stanza is depth 1; the stream root (open_elements_[0]) is depth 0.
  if (open_elements_.size() > limits_.depth_max) {
    return Fail(StreamErrorCondition::kPolicyViolation, "elements nested too deep");
  }
  OpenElement element;
  element.name_begin = static_cast<uint32_t>(open_names_.size());
  open_names_.append(name);
  element.name_end = static_cast<uint32_t>(open_names_.size());
  element.colon = name_colon_;
  element.binding_mark = static_cast<uint32_t>(bindings_.size());
  open_elements_.push_back(element);
  tag_attr_names_.clear();
  tag_attrs_.clear();
  tag_has_prefixed_attr_ = false;
  saw_space_ = false;
  state_ = State::kInTag;
  return true;
}

bool XmlTokenizer::OnAttrName(std::string_view name, bool in_buffer) {
  // A linear scan: a tag rarely has more than a handful of attributes, and
  // attributes_max bounds the work. Sizes are compared first, so most
  // pairs cost no memcmp.
  for (const TagAttr& a : tag_attrs_) {
    if (a.name_size == name.size() && AttrName(a) == name) {
      return Fail(StreamErrorCondition::kNotWellFormed, "duplicate attribute");
    }
  }
  TagAttr attr;
  attr.name_in_buffer = in_buffer;
  attr.name_begin = static_cast<uint32_t>(
      in_buffer ? name.data() - reinterpret_cast<const char*>(in_) : tag_attr_names_.size());
  attr.name_size = static_cast<uint32_t>(name.size());
  attr.colon = name_colon_;
  attr.kind = AttrKind::kPlain;
  if (name.size() >= 5 && memcmp(name.data(), "xmlns", 5) == 0) {
    if (name.size() == 5) {
      attr.kind = AttrKind::kXmlnsDefault;
    } else if (name_colon_ == 5) {
      attr.kind = AttrKind::kXmlnsPrefix;
    }
  }
  attr.value_begin = attr.value_size = 0;
  if (attr.colon != kNoColon && attr.kind == AttrKind::kPlain) tag_has_prefixed_attr_ = true;
  if (!in_buffer) tag_attr_names_.append(name);
  tag_attrs_.push_back(attr);
  state_ = State::kAttrEq;
  return true;
}

bool XmlTokenizer::OnAttrValue(std::string_view raw) {
  TagAttr& attr = tag_attrs_.back();
  if (open_elements_.size() == 1) {  // the stream root: keep every value
    attr.value_begin = static_cast<uint32_t>(header_.storage_.size());
    attr.value_size = static_cast<uint32_t>(raw.size());
    header_.storage_.append(raw);
  }
  if (attr.kind == AttrKind::kPlain) return true;
  // Namespaces in XML 1.0 §3: the xml and xmlns names are reserved.
  if (attr.kind == AttrKind::kXmlnsDefault) {
    // Decoding never lengthens a value, so a shorter one is neither.
    static_assert(kNsXmlns.size() < kNsXml.size());
    if (raw.size() >= kNsXmlns.size() &&
        (AttributeValueEquals(raw, kNsXml) || AttributeValueEquals(raw, kNsXmlns))) {
      return Fail(StreamErrorCondition::kNotWellFormed, "reserved namespace as default");
    }
    return true;
  }
  const std::string_view prefix = AttrName(attr).substr(6);
  // Decode straight into the arena (no temporary); a failure ends the
  // stream, so what is left in the arena then does not matter.
  Binding b;
  b.prefix_begin = static_cast<uint32_t>(ns_arena_.size());
  b.prefix_size = static_cast<uint32_t>(prefix.size());
  ns_arena_.append(prefix);
  b.uri_begin = static_cast<uint32_t>(ns_arena_.size());
  if (!AppendDecodedAttributeValue(raw, &ns_arena_).ok()) {
    return Fail(StreamErrorCondition::kNotWellFormed, "bad reference");
  }
  b.uri_size = static_cast<uint32_t>(ns_arena_.size() - b.uri_begin);
  const std::string_view uri = std::string_view(ns_arena_).substr(b.uri_begin);
  if (uri == kNsXmlns) {
    return Fail(StreamErrorCondition::kNotWellFormed, "xmlns namespace bound");
  }
  if (prefix == "xmlns") {
    return Fail(StreamErrorCondition::kNotWellFormed, "xmlns prefix declared");
  }
  if ((prefix == "xml") != (uri == kNsXml)) {
    return Fail(StreamErrorCondition::kNotWellFormed, "xml prefix misbound");
  }
  if (uri.empty()) {
    return Fail(StreamErrorCondition::kNotWellFormed, "prefix undeclared");
  }
  bindings_.push_back(b);
  return true;
}

bool XmlTokenizer::OnEndName(std::string_view name) {
  if (OpenName(open_elements_.back()) != name) {
    return Fail(StreamErrorCondition::kNotWellFormed, "mismatched end tag");
  }
  state_ = State::kEndAfterName;
  return true;
}

bool XmlTokenizer::FinishStartTag(bool empty, XmlEvent* event) {
  const size_t n = open_elements_.size();
  const std::string_view name = OpenName(open_elements_.back());
  const uint32_t colon = open_elements_.back().colon;
  std::string_view element_uri;
  if (colon != kNoColon) {
    if (!LookupPrefix(name.substr(0, colon), &element_uri)) {
      return Fail(StreamErrorCondition::kBadNamespacePrefix, "undeclared element prefix");
    }
  }
  // Prefixed attributes: the prefix must be bound, and no two may share a
  // namespace and local name (Namespaces in XML 1.0 §6.3).
  for (size_t i = 0; tag_has_prefixed_attr_ && i < tag_attrs_.size(); ++i) {
    const TagAttr& a = tag_attrs_[i];
    if (a.colon == kNoColon || a.kind != AttrKind::kPlain) continue;
    const std::string_view qname = AttrName(a);
    std::string_view uri;
    if (!LookupPrefix(qname.substr(0, a.colon), &uri)) {
      return Fail(StreamErrorCondition::kBadNamespacePrefix, "undeclared attribute prefix");
    }
    for (size_t j = 0; j < i; ++j) {
      const TagAttr& b = tag_attrs_[j];
      if (b.colon == kNoColon || b.kind != AttrKind::kPlain) continue;
      const std::string_view other = AttrName(b);
      std::string_view other_uri;
      LookupPrefix(other.substr(0, b.colon), &other_uri);
      if (other.substr(b.colon) == qname.substr(a.colon) && other_uri == uri) {
        return Fail(StreamErrorCondition::kNotWellFormed, "duplicate attribute");
      }
    }
  }
  if (n == 1) {
    // The stream root: copy its header, and open the stream.
    header_.name_ = std::string(name);
    for (const TagAttr& a : tag_attrs_) {
      StreamHeader::Span span;
      span.name_begin = static_cast<uint32_t>(header_.storage_.size());
      span.name_size = a.name_size;
      header_.storage_.append(AttrName(a));
      span.value_begin = a.value_begin;
      span.value_size = a.value_size;
      header_.attributes_.push_back(span);
      const std::string_view raw =
          std::string_view(header_.storage_).substr(a.value_begin, a.value_size);
      std::string value;
      if (!AppendDecodedAttributeValue(raw, &value).ok()) {
        return Fail(StreamErrorCondition::kNotWellFormed, "bad reference");
      }
      if (a.kind == AttrKind::kXmlnsDefault) {
        header_.namespaces_.SetDefault(value);
        if (colon == kNoColon) header_.namespace_uri_ = value;
      } else if (a.kind == AttrKind::kXmlnsPrefix) {
        header_.namespaces_.Bind(AttrName(a).substr(6), value);
      }
    }
    if (colon != kNoColon) header_.namespace_uri_ = std::string(element_uri);
    top_active_ = false;
    event->type = XmlEventType::kStreamOpen;
    if (empty) pending_close_ = true;
    state_ = State::kBetween;
    return true;
  }
  if (empty) return CloseElement(event);
  state_ = State::kText;
  return false;
}

// Pops the innermost open element; reports a completed stanza or the end of
// the stream.
bool XmlTokenizer::CloseElement(XmlEvent* event) {
  const OpenElement& closed = open_elements_.back();
  if (closed.binding_mark != bindings_.size()) {  // it declared prefixes
    bindings_.resize(closed.binding_mark);
    ns_arena_.resize(bindings_.empty() ? 0
                                       : bindings_.back().uri_begin + bindings_.back().uri_size);
  }
  open_names_.resize(closed.name_begin);
  open_elements_.pop_back();
  const size_t depth = open_elements_.size();
  if (depth == 0) {
    event->type = XmlEventType::kStreamClose;
    state_ = State::kClosed;
    return true;
  }
  if (depth > 1) {
    state_ = State::kText;
    return false;
  }
  // A stanza is complete.
  state_ = State::kBetween;
  top_active_ = false;
  event->type = XmlEventType::kElement;
  const char* base = reinterpret_cast<const char*>(in_);
  if (assembling_) {
    assembly_.append(base, pos_);
    event->element = assembly_;
    release_assembly_ = true;
  } else {
    const size_t from = top_begin_ - consumed_before_;
    event->element = std::string_view(base + from, pos_ - from);
  }
  return true;
}

bool XmlTokenizer::ParseDeclaration() {
  // declaration_ is "<?xml" S ... "?>". XMLDecl ::= '<?xml' VersionInfo
  // EncodingDecl? SDDecl? S? '?>', with pseudo-attributes in that order.
  std::string_view s(declaration_);
  s.remove_prefix(5);
  s.remove_suffix(2);
  const char* const kNames[] = {"version", "encoding", "standalone"};
  int next = 0;
  while (true) {
    size_t spaces = 0;
    while (spaces < s.size() && IsXmlSpace(s[spaces])) ++spaces;
    s.remove_prefix(spaces);
    if (s.empty()) break;
    if (spaces == 0) return Fail(StreamErrorCondition::kNotWellFormed, "bad XML declaration");
    size_t name_end = 0;
    while (name_end < s.size() && s[name_end] >= 'a' && s[name_end] <= 'z') ++name_end;
    const std::string_view name = s.substr(0, name_end);
    s.remove_prefix(name_end);
    while (!s.empty() && IsXmlSpace(s[0])) s.remove_prefix(1);
    if (s.empty() || s[0] != '=') {
      return Fail(StreamErrorCondition::kNotWellFormed, "bad XML declaration");
    }
    s.remove_prefix(1);
    while (!s.empty() && IsXmlSpace(s[0])) s.remove_prefix(1);
    if (s.empty() || (s[0] != '"' && s[0] != '\'')) {
      return Fail(StreamErrorCondition::kNotWellFormed, "bad XML declaration");
    }
    const size_t close = s.find(s[0], 1);
    if (close == std::string_view::npos) {
      return Fail(StreamErrorCondition::kNotWellFormed, "bad XML declaration");
    }
    const std::string_view value = s.substr(1, close - 1);
    s.remove_prefix(close + 1);
    int index = next;
    while (index < 3 && name != kNames[index]) ++index;
    if (index == 3 || (next == 0 && index != 0)) {
      return Fail(StreamErrorCondition::kNotWellFormed, "bad XML declaration");
    }
    next = index + 1;
    bool ok = true;
    if (index == 0) {  // VersionNum ::= '1.' [0-9]+
      ok = value.size() >= 3 && value.substr(0, 2) == "1." &&
           value.find_first_not_of("0123456789", 2) == std::string_view::npos;
    } else if (index == 1) {
      if (!EqualsIgnoringAsciiCase(value, "UTF-8")) {
        return Fail(StreamErrorCondition::kUnsupportedEncoding, "encoding is not UTF-8");
      }
    } else {
      ok = value == "yes" || value == "no";
    }
    if (!ok) return Fail(StreamErrorCondition::kNotWellFormed, "bad XML declaration");
  }
  if (next == 0) return Fail(StreamErrorCondition::kNotWellFormed, "bad XML declaration");
  declaration_.clear();
  declaration_.shrink_to_fit();
  return true;
}

// --- Fast paths ----------------------------------------------------------
//
// The byte-by-byte states in Step() are the reference: they read every input
// at any split. On XMPP traffic their cost is mostly dispatch (one Step(),
// with Next()'s limit checks around it, per '<', name, '=', quote and value)
// rather than work. The fast paths read a whole attribute, start tag or end
// tag in one go when it lies in the current buffer, is plain (ASCII names;
// values and text whose only specials are the other quote, the predefined
// entities and valid UTF-8) and ends before every limit. On anything else --
// the buffer's end, a limit, a non-ASCII name, a character reference, any
// error -- they stop at the last point where the slow states would have been
// between two steps, and the slow states go on from there, producing their
// usual events and errors. A construct is taken only if its end is within
// each limit, so none of the checks the slow states make between their steps
// inside it could have failed; where a slow step ends with a check (after a
// closing quote, say), the fast path returns to Next() there to make it.

// Returns the first index of the buffer that pos_ may not reach: Next()
// fails once Offset() - top_begin_ > stanza_bytes_max.
size_t XmlTokenizer::StanzaStop() const {
  const uint64_t limit_end = StanzaLimitEnd();
  if (limit_end <= consumed_before_) return 0;
  return std::min<uint64_t>(limit_end - consumed_before_, uint64_t{in_size_} + 1);
}

// Scans a QName of ASCII characters starting at in_[begin] (`stop` is
// StanzaStop(), passed in as the callers have it). Returns the index
// of the byte after it (which is in the buffer), and sets *colon as StepName()
// sets name_colon_; or returns 0 if the name is not simple: badly formed,
// non-ASCII, or not ended before the buffer's end, the name limit or the
// stanza limit (the slow states then read it and report what is wrong).
size_t XmlTokenizer::ScanSimpleName(size_t begin, size_t stop, uint32_t* colon) const {
  const unsigned char* const in = in_;
  size_t end = std::min<size_t>(in_size_, stop);
  end = std::min<size_t>(end, begin + limits_.name_bytes_max + 1);
  if (begin >= end || !(kBytes.bits[in[begin]] & kNameStart)) return 0;
  *colon = kNoColon;
  size_t i = begin + 1;
  while (true) {
    while (i < end && (kBytes.bits[in[i]] & kName)) ++i;
    if (i >= end) return 0;
    if (in[i] != ':') break;
    if (*colon != kNoColon) return 0;
    *colon = static_cast<uint32_t>(i - begin);
    ++i;
    if (i >= end || !(kBytes.bits[in[i]] & kNameStart)) return 0;
    ++i;
  }
  return in[i] >= 0x80 ? 0 : i;
}

// in_[at] >= 0x80: returns the index after the UTF-8 sequence there if it is
// wholly in the buffer and an XML Char, else 0.
size_t XmlTokenizer::FastChar(size_t at) const {
  uint32_t code_point;
  const int n = DecodeUtf8(in_ + at, in_size_ - at, &code_point);
  if (n <= 0 || !IsXmlChar(code_point)) return 0;
  return at + n;
}

// in_[*at] == '&': if one of the five predefined entity references follows
// wholly in the buffer, moves *at past its ';' and returns true.
bool XmlTokenizer::FastReference(size_t* at) const {
  const char* p = reinterpret_cast<const char*>(in_) + *at + 1;
  const size_t available = in_size_ - *at - 1;
  size_t n;
  if (available >= 4 && memcmp(p, "amp;", 4) == 0) {
    n = 4;
  } else if (available >= 3 && (memcmp(p, "lt;", 3) == 0 || memcmp(p, "gt;", 3) == 0)) {
    n = 3;
  } else if (available >= 5 && (memcmp(p, "quot;", 5) == 0 || memcmp(p, "apos;", 5) == 0)) {
    n = 5;
  } else {
    return false;
  }
  *at += 1 + n;
  return true;
}

// In kInTag: reads spaces, whole attributes and the tag's end. Returns true
// when `event` is set; *progressed says whether anything was consumed (if
// not, the slow state reads the next byte).
bool XmlTokenizer::FastInTag(XmlEvent* event, bool* progressed) {
  *progressed = false;
  if (!top_active_) return false;
  // The buffer in locals: stores to members through `this` could alias a
  // `const unsigned char*` as far as the compiler knows, so reading in_
  // and in_size_ from members would reload them after every store.
  const unsigned char* const in = in_;
  const size_t size = in_size_;
  // Invariant: pos_ < stop (Next() checked it, or the loop did).
  const size_t stop = StanzaStop();
  while (true) {
    size_t i = pos_;
    while (i < size && IsXmlSpace(in[i])) ++i;
    if (i != pos_) {
      // As the slow state: the whole run of spaces, then the limit check.
      pos_ = i;
      saw_space_ = true;
      *progressed = true;
      if (i >= stop || i >= size) return false;
    }
    const unsigned char c = in[i];
    if (c == '>') {
      ++pos_;
      *progressed = true;
      return FinishStartTag(/*empty=*/false, event);
    }
    if (c == '/') {
      // The slow states check the limit after the '/'.
      if (i + 1 >= size || i + 1 >= stop || in[i + 1] != '>') return false;
      pos_ = i + 2;
      *progressed = true;
      return FinishStartTag(/*empty=*/true, event);
    }
    if (!saw_space_ || tag_attrs_.size() >= limits_.attributes_max) return false;
    uint32_t colon;
    const size_t name_end = ScanSimpleName(i, stop, &colon);
    if (name_end == 0) return false;
    pos_ = name_end;
    name_colon_ = colon;
    *progressed = true;
    if (!OnAttrName(std::string_view(reinterpret_cast<const char*>(in) + i, name_end - i),
                    /*in_buffer=*/true)) {
      return false;
    }
    // Now in kAttrEq: from here on, backing off leaves the slow states at
    // the name's end.
    size_t j = name_end;
    while (j < size && IsXmlSpace(in[j])) ++j;
    if (j >= size || in[j] != '=') return false;
    ++j;
    while (j < size && IsXmlSpace(in[j])) ++j;
    if (j >= size || (in[j] != '"' && in[j] != '\'') || j + 1 >= stop) return false;
    const unsigned char quote = in[j];
    const size_t value_begin = j + 1;
    // The closing quote must come before the value limit and the stanza
    // limit (the slow scan stops at both).
    const size_t value_stop = std::min<size_t>(
        {size, value_begin + limits_.attribute_value_bytes_max + 1, stop});
    size_t q = value_begin;
    while (true) {
      q = Scan<kAttrSpecial>(in + q, in + value_stop, quote, '<', '&') - in;
      if (q >= value_stop) return false;
      const unsigned char d = in[q];
      if (d == quote) break;
      if (d == '"' || d == '\'') {
        ++q;
        continue;
      }
      if (d == '&') {
        if (!FastReference(&q)) return false;
      } else if (d >= 0x80) {
        q = FastChar(q);
        if (q == 0) return false;
      } else {
        return false;  // '<' or a control byte: the slow state reports it
      }
      // The slow states check both limits after a reference or character.
      if (q >= value_stop) return false;
    }
    quote_ = quote;
    value_begin_ = consumed_before_ + value_begin;
    capture_value_ =
        open_elements_.size() == 1 || tag_attrs_.back().kind != AttrKind::kPlain;
    pos_ = q;
    if (capture_value_ &&
        !OnAttrValue(std::string_view(reinterpret_cast<const char*>(in) + value_begin,
                                      q - value_begin))) {
      return false;
    }
    pos_ = q + 1;
    saw_space_ = false;
    state_ = State::kInTag;
    if (pos_ >= stop || pos_ >= size) return false;
  }
}

// In kLt (just after '<' inside the stream): reads a start tag (then goes on
// with FastInTag) or a stanza's inner end tag. Returns and sets *progressed
// as FastInTag() does.
bool XmlTokenizer::FastLt(XmlEvent* event, bool* progressed) {
  *progressed = false;
  if (!top_active_ || pos_ >= in_size_) return false;
  const size_t stop = StanzaStop();
  uint32_t colon;
  if (in_[pos_] == '/') {
    if (open_elements_.size() <= 1) return false;  // the stream root's end: the slow states
    // No need to classify the name's bytes: if they are the open element's
    // name (a valid name within the name limit) followed by a byte that
    // cannot continue a name, the slow states would read the same name and
    // find it matching. Anything else (a mismatch too) is left to them.
    const std::string_view open_name = OpenName(open_elements_.back());
    const size_t name_begin = pos_ + 1;
    const size_t name_end = name_begin + open_name.size();
    if (name_end >= in_size_) return false;
    const char* const name = reinterpret_cast<const char*>(in_) + name_begin;
    for (size_t k = 0; k < open_name.size(); ++k) {
      if (name[k] != open_name[k]) return false;
    }
    size_t gt = name_end;
    while (gt < in_size_ && IsXmlSpace(in_[gt])) ++gt;
    if (gt >= in_size_ || gt >= stop || in_[gt] != '>') return false;
    pos_ = gt + 1;
    *progressed = true;
    return CloseElement(event);
  }
  const size_t name_begin = pos_;
  const size_t name_end = ScanSimpleName(name_begin, stop, &colon);
  if (name_end == 0) return false;
  pos_ = name_end;
  name_colon_ = colon;
  *progressed = true;
  if (!OnStartName(std::string_view(reinterpret_cast<const char*>(in_) + name_begin,
                                    name_end - name_begin))) {
    return false;
  }
  bool more;
  return FastInTag(event, &more);
}

// Consumes at least one byte (or fails); returns true when `event` is set.
bool XmlTokenizer::Step(XmlEvent* event) {
  using C = StreamErrorCondition;
  if (utf8_pending_size_ > 0) {
    // Finish a UTF-8 sequence that began in an earlier buffer.
    utf8_pending_[utf8_pending_size_++] = in_[pos_++];
    uint32_t code_point;
    const int n = DecodeUtf8(utf8_pending_, utf8_pending_size_, &code_point);
    if (n == kUtf8Invalid) return Fail(C::kNotWellFormed, "invalid UTF-8");
    if (n == kUtf8Incomplete) return false;
    utf8_pending_size_ = 0;
    if (!AcceptCodePoint(code_point)) return false;
    // In a name, carry on exactly as StepName() does after a character it
    // decoded whole: the name limit is checked first (the character may
    // have crossed it), then the name goes on. Returning to Next() instead
    // would check the stanza limit first, and a split would change the
    // error.
    if (state_ == State::kStartName || state_ == State::kAttrName ||
        state_ == State::kEndName) {
      StepName();
    }
    return false;
  }
  const unsigned char c = in_[pos_];
  const bool name_start = c >= 0x80 || (kBytes.bits[c] & kNameStart);
  auto begin_name = [&](State next) {
    BeginToken(limits_.name_bytes_max);
    name_need_start_ = true;
    name_colon_ = kNoColon;
    state_ = next;
  };
  switch (state_) {
    case State::kStart:
      if (c == 0xEF && match_ == 0) {
        state_ = State::kBom;
        match_ = 1;
      } else if (c == '<') {
        state_ = State::kStartLt;
      } else if (IsXmlSpace(c)) {
        state_ = State::kProlog;
      } else {
        return Fail(C::kNotWellFormed, "bad start of stream");
      }
      ++pos_;
      return false;

    case State::kBom:
      if (c != (match_ == 1 ? 0xBB : 0xBF)) return Fail(C::kNotWellFormed, "invalid UTF-8");
      ++pos_;
      if (++match_ == 3) state_ = State::kStart;  // match_ == 3: no second BOM
      return false;

    case State::kStartLt:
      if (c == '?') {
        declaration_ = "<?";
        state_ = State::kDeclaration;
        ++pos_;
        return false;
      }
      [[fallthrough]];
    case State::kPrologLt:
      if (c == '?') return Fail(C::kRestrictedXml, "processing instruction");
      if (c == '!') return Fail(C::kRestrictedXml, "comment or DTD");
      if (!name_start) return Fail(C::kNotWellFormed, "bad start tag");
      // The stream root's start tag: bounded like a stanza, never copied
      // whole (its names and values are kept as they are read).
      top_active_ = true;
      top_is_stanza_ = false;
      top_begin_ = Offset() - 1;
      begin_name(State::kStartName);
      return false;

    case State::kDeclaration:
      declaration_.push_back(static_cast<char>(c));
      ++pos_;
      if (declaration_.size() == 6 &&
          (declaration_.compare(0, 5, "<?xml") != 0 || !IsXmlSpace(c))) {
        return Fail(C::kRestrictedXml, "processing instruction");
      }
      if (declaration_.size() > 1024) return Fail(C::kPolicyViolation, "XML declaration too long");
      if (declaration_.size() > 6 && c == '>' && declaration_[declaration_.size() - 2] == '?') {
        if (!ParseDeclaration()) return false;
        state_ = State::kProlog;
      }
      return false;

    case State::kProlog:
      if (IsXmlSpace(c)) {
        ++pos_;
      } else if (c == '<') {
        ++pos_;
        state_ = State::kPrologLt;
      } else {
        return Fail(C::kNotWellFormed, "text before the stream root");
      }
      return false;

    case State::kStartName:
    case State::kAttrName:
    case State::kEndName:
      StepName();
      return false;

    case State::kInTag: {
      bool progressed;
      if (FastInTag(event, &progressed)) return true;
      if (progressed || failed_) return false;
      if (IsXmlSpace(c)) {
        saw_space_ = true;
        do {
          ++pos_;
        } while (pos_ < in_size_ && IsXmlSpace(in_[pos_]));
        return false;
      }
      if (c == '>') {
        ++pos_;
        return FinishStartTag(/*empty=*/false, event);
      }
      if (c == '/') {
        ++pos_;
        state_ = State::kEmptySlash;
        return false;
      }
      if (!name_start) return Fail(C::kNotWellFormed, "bad character in tag");
      if (!saw_space_) return Fail(C::kNotWellFormed, "no space before attribute");
      if (tag_attrs_.size() >= limits_.attributes_max) {
        return Fail(C::kPolicyViolation, "too many attributes");
      }
      begin_name(State::kAttrName);
      return false;
    }

    case State::kAttrEq:
      if (IsXmlSpace(c)) {
        ++pos_;
      } else if (c == '=') {
        ++pos_;
        state_ = State::kAttrQuote;
        // Usually the quote follows at once: take it in this step.
        if (pos_ < in_size_ && (in_[pos_] == '"' || in_[pos_] == '\'')) return Step(event);
      } else {
        return Fail(C::kNotWellFormed, "attribute without value");
      }
      return false;

    case State::kAttrQuote:
      if (IsXmlSpace(c)) {
        ++pos_;
        return false;
      }
      if (c != '"' && c != '\'') return Fail(C::kNotWellFormed, "unquoted attribute value");
      quote_ = c;
      ++pos_;
      value_begin_ = Offset();
      capture_value_ =
          open_elements_.size() == 1 || tag_attrs_.back().kind != AttrKind::kPlain;
      if (capture_value_) BeginToken(limits_.attribute_value_bytes_max);
      state_ = State::kAttrValue;
      return false;

    case State::kAttrValue: {
      const uint64_t limit_end =
          std::min(top_begin_ + limits_.stanza_bytes_max,
                   value_begin_ + limits_.attribute_value_bytes_max) + 1;
      pos_ = Scan<kAttrSpecial>(in_ + pos_, ScanEnd(limit_end), quote_, '<', '&') - in_;
      if (Offset() - value_begin_ > limits_.attribute_value_bytes_max) {
        return Fail(C::kPolicyViolation, "attribute value too long");
      }
      if (Offset() - top_begin_ > limits_.stanza_bytes_max) {
        return Fail(C::kPolicyViolation, "stanza too large");
      }
      if (pos_ == in_size_) return false;
      const unsigned char d = in_[pos_];
      if (d == quote_) {
        if (capture_value_ && !OnAttrValue(EndToken())) return false;
        ++pos_;
        saw_space_ = false;
        state_ = State::kInTag;
      } else if (d == '&') {
        ++pos_;
        ref_return_ = State::kAttrValue;
        state_ = State::kRef;
      } else if (d == '"' || d == '\'') {
        ++pos_;
      } else if (d == '<') {
        return Fail(C::kNotWellFormed, "'<' in attribute value");
      } else {
        ConsumeCharacter(d);
      }
      return false;
    }

    case State::kEmptySlash:
      if (c != '>') return Fail(C::kNotWellFormed, "'/' not followed by '>'");
      ++pos_;
      return FinishStartTag(/*empty=*/true, event);

    case State::kBetween:
      while (pos_ < in_size_ && IsXmlSpace(in_[pos_])) ++pos_;
      if (pos_ == in_size_) return false;
      if (in_[pos_] != '<') return Fail(C::kBadFormat, "text at stream level");
      top_active_ = true;
      top_is_stanza_ = true;
      top_begin_ = Offset();
      assembling_ = false;
      ++pos_;
      state_ = State::kLt;
      return false;

    case State::kText: {
      const unsigned char* const end = ScanEnd(StanzaLimitEnd());
      const size_t stop = StanzaStop();
      while (true) {
        pos_ = Scan<kTextSpecial>(in_ + pos_, end, '<', '&', ']') - in_;
        if (Offset() - top_begin_ > limits_.stanza_bytes_max) {
          return Fail(C::kPolicyViolation, "stanza too large");
        }
        if (pos_ == in_size_) return false;
        const unsigned char d = in_[pos_];
        if (d == '<') {
          ++pos_;
          state_ = State::kLt;
          // The tag usually follows in this buffer: read it now, as the
          // next step would (Next()'s check after this one cannot fail).
          // When it leaves us in text again, make that check and go on
          // scanning here, so that a whole stanza is read in one step.
          if (pos_ >= in_size_ || pos_ >= stop) return false;
          bool progressed;
          if (FastLt(event, &progressed)) return true;
          if (failed_ || state_ != State::kText || pos_ >= in_size_ || pos_ >= stop) {
            return false;
          }
          continue;
        }
        // Valid UTF-8 and predefined entities stay in this loop too (fast
        // paths, see above). A character that ends past the stanza limit is
        // reported by Next(), as after the slow states' step; a reference
        // is taken only if it ends within the limit (the slow states would
        // report a crossing at another byte).
        size_t next = 0;
        if (d >= 0x80) {
          next = FastChar(pos_);
        } else if (d == '&') {
          next = pos_;
          if (!FastReference(&next) || next >= stop) next = 0;
        }
        if (next != 0) {
          pos_ = next;
          brackets_ = 0;
          if (pos_ >= stop) return false;
          continue;
        }
        if (d == '&') {
          ++pos_;
          ref_return_ = State::kText;
          state_ = State::kRef;
        } else if (d == ']') {
          ++pos_;
          brackets_ = 1;
          state_ = State::kTextBracket;
        } else {
          ConsumeCharacter(d);
        }
        return false;
      }
    }

    case State::kTextBracket:
      if (c == ']') {
        brackets_ = 2;
        ++pos_;
      } else if (c == '>' && brackets_ >= 2) {
        return Fail(C::kNotWellFormed, "']]>' in text");
      } else {
        brackets_ = 0;
        state_ = State::kText;
      }
      return false;

    case State::kLt: {
      bool progressed;
      if (FastLt(event, &progressed)) return true;
      if (progressed || failed_) return false;
      if (c == '/') {
        ++pos_;
        if (open_elements_.size() == 1) {
          // The stream root's end tag, not a stanza.
          top_active_ = false;
          top_is_stanza_ = false;
          assembling_ = false;
          assembly_.clear();
        }
        begin_name(State::kEndName);
        return false;
      }
      if (c == '!') {
        ++pos_;
        state_ = State::kBang;
        return false;
      }
      if (c == '?') return Fail(C::kRestrictedXml, "processing instruction");
      if (!name_start) return Fail(C::kNotWellFormed, "bad start tag");
      begin_name(State::kStartName);
      return false;
    }

    case State::kEndAfterName:
      if (IsXmlSpace(c)) {
        ++pos_;
        return false;
      }
      if (c != '>') return Fail(C::kNotWellFormed, "bad end tag");
      ++pos_;
      return CloseElement(event);

    case State::kBang:
      if (c == '[') {
        if (open_elements_.size() == 1) return Fail(C::kBadFormat, "CDATA at stream level");
        ++pos_;
        match_ = 0;
        state_ = State::kCdataOpen;
        return false;
      }
      if (c == '-' || c == 'D') return Fail(C::kRestrictedXml, "comment or DTD");
      return Fail(C::kNotWellFormed, "bad markup after '<!'");

    case State::kCdataOpen:
      if (c != static_cast<unsigned char>(kCdataOpen[match_])) {
        return Fail(C::kNotWellFormed, "bad CDATA section");
      }
      ++pos_;
      if (++match_ == kCdataOpen.size()) {
        brackets_ = 0;
        state_ = State::kCdata;
      }
      return false;

    case State::kCdata: {
      pos_ = Scan<kCdataSpecial>(in_ + pos_, ScanEnd(StanzaLimitEnd()), ']', ']', ']') - in_;
      if (Offset() - top_begin_ > limits_.stanza_bytes_max) {
        return Fail(C::kPolicyViolation, "stanza too large");
      }
      if (pos_ == in_size_) return false;
      const unsigned char d = in_[pos_];
      if (d == ']') {
        ++pos_;
        brackets_ = 1;
        state_ = State::kCdataBracket;
      } else {
        ConsumeCharacter(d);
      }
      return false;
    }

    case State::kCdataBracket:
      if (c == ']') {
        brackets_ = 2;
        ++pos_;
      } else if (c == '>' && brackets_ >= 2) {
        ++pos_;
        brackets_ = 0;
        state_ = State::kText;
      } else {
        brackets_ = 0;
        state_ = State::kCdata;
      }
      return false;

    case State::kRef:
      if (c == '#') {
        ++pos_;
        state_ = State::kCharRef;
        return false;
      }
      if (c >= 0x80) return Fail(C::kRestrictedXml, "entity reference");
      if (!(kBytes.bits[c] & kNameStart)) return Fail(C::kNotWellFormed, "bad reference");
      ref_size_ = 0;
      state_ = State::kRefName;
      return false;

    case State::kRefName:
      if (c == ';') {
        ++pos_;
        const std::string_view name(ref_name_, ref_size_ <= 8 ? ref_size_ : 0);
        if (name != "lt" && name != "gt" && name != "amp" && name != "apos" &&
            name != "quot") {
          return Fail(C::kRestrictedXml, "entity reference");
        }
        brackets_ = 0;
        state_ = ref_return_;
        return false;
      }
      if (c >= 0x80) return Fail(C::kRestrictedXml, "entity reference");
      if (!(kBytes.bits[c] & kName) && c != ':') return Fail(C::kNotWellFormed, "bad reference");
      if (ref_size_ < 8) ref_name_[ref_size_] = static_cast<char>(c);
      if (ref_size_ <= 8) ++ref_size_;
      ++pos_;
      return false;

    case State::kCharRef:
      ref_value_ = 0;
      ref_digits_ = 0;
      if (c == 'x') {
        match_ = 1;
        ++pos_;
      } else if (c >= '0' && c <= '9') {
        match_ = 0;
      } else {
        return Fail(C::kNotWellFormed, "bad character reference");
      }
      state_ = State::kCharRefDigits;
      return false;

    case State::kCharRefDigits: {
      if (c == ';') {
        if (ref_digits_ == 0 || !IsXmlChar(ref_value_)) {
          return Fail(C::kNotWellFormed, "bad character reference");
        }
        ++pos_;
        brackets_ = 0;
        state_ = ref_return_;
        return false;
      }
      uint32_t digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (match_ == 1 && c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (match_ == 1 && c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return Fail(C::kNotWellFormed, "bad character reference");
      }
      ref_value_ = ref_value_ * (match_ == 1 ? 16 : 10) + digit;
      if (ref_value_ > 0x10FFFF) ref_value_ = 0x110000;  // stays invalid
      ref_digits_ = 1;
      ++pos_;
      return false;
    }

    case State::kClosed:
      if (IsXmlSpace(c)) {
        ++pos_;
      } else if (c == '<') {
        ++pos_;
        state_ = State::kClosedLt;
      } else {
        return Fail(C::kNotWellFormed, "text after the stream end");
      }
      return false;

    case State::kClosedLt:
      if (c == '!' || c == '?') return Fail(C::kRestrictedXml, "comment or PI");
      return Fail(C::kNotWellFormed, "element after the stream end");
  }
  return Fail(C::kNotWellFormed, "internal: unknown state");
}

}  // namespace ringlet::xml
