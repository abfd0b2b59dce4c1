#include "xmpp/xml/serializer.h"

#include "core/check.h"
#include "xmpp/xml/entities.h"
#include "xmpp/xml/internal/chars.h"

namespace ringlet::xml {

bool IsAsciiQualifiedName(std::string_view name) {
  bool need_start = true, colon = false;
  for (unsigned char c : name) {
    if (c >= 0x80) return false;
    if (c == ':') {
      if (colon || need_start) return false;
      colon = need_start = true;
    } else if (need_start ? !internal::IsNameStartChar(c) : !internal::IsNameChar(c)) {
      return false;
    } else {
      need_start = false;
    }
  }
  return !need_start;
}

void XmlWriter::FinishStartTag() {
  if (in_start_tag_) {
    out_->push_back('>');
    in_start_tag_ = false;
  }
}

XmlWriter& XmlWriter::Open(std::string_view qualified_name) {
  DCHECK(IsAsciiQualifiedName(qualified_name));
  FinishStartTag();
  out_->push_back('<');
  out_->append(qualified_name);
  open_.push_back(names_.size());
  names_.append(qualified_name);
  in_start_tag_ = true;
  return *this;
}

XmlWriter& XmlWriter::Attribute(std::string_view qualified_name, std::string_view value) {
  CHECK(in_start_tag_);
  DCHECK(IsAsciiQualifiedName(qualified_name));
  out_->push_back(' ');
  out_->append(qualified_name);
  out_->append("='");
  AppendEscapedAttributeValue(value, out_);
  out_->push_back('\'');
  return *this;
}

XmlWriter& XmlWriter::Text(std::string_view text) {
  CHECK(!open_.empty());
  FinishStartTag();
  AppendEscapedText(text, out_);
  return *this;
}

XmlWriter& XmlWriter::Raw(std::string_view xml) {
  FinishStartTag();
  out_->append(xml);
  return *this;
}

XmlWriter& XmlWriter::EndStartTag() {
  CHECK(in_start_tag_);
  FinishStartTag();
  return *this;
}

XmlWriter& XmlWriter::Close() {
  CHECK(!open_.empty());
  if (in_start_tag_) {
    out_->append("/>");
    in_start_tag_ = false;
  } else {
    out_->append("</");
    out_->append(names_, open_.back(), std::string::npos);
    out_->push_back('>');
  }
  names_.resize(open_.back());
  open_.pop_back();
  return *this;
}

}  // namespace ringlet::xml
