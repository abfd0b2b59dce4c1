#pragma once

// XmlWriter: builds XML into a caller's string, escaping every value, so
// that what the server sends is well-formed whatever the data.
//
// Names are the caller's (protocol constants); they are DCHECKed, not
// escaped. Text and attribute values are escaped (xmpp/xml/entities.h),
// invalid UTF-8 and characters XML forbids become U+FFFD.
//
// Usage:
//   std::string out;
//   XmlWriter w(&out);
//   w.Open("message").Attribute("to", to).Attribute("type", "chat");
//   w.Open("body").Text(body).Close();
//   w.Close();  // out: <message to='...' type='chat'><body>...</body></message>
//
// Lifecycle: a short-lived object on the stack of one shard; `out` must
// outlive it. Elements are closed in order; the writer CHECKs misuse (a
// bug of ours, never of a peer).

#include <string>
#include <string_view>
#include <vector>

namespace ringlet::xml {

class XmlWriter {
 public:
  explicit XmlWriter(std::string* out) : out_(out) {}

  // Starts element `qualified_name` ("message", "stream:features").
  XmlWriter& Open(std::string_view qualified_name);
  // Adds an attribute to the element just opened (before any content).
  XmlWriter& Attribute(std::string_view qualified_name, std::string_view value);
  // Adds escaped character data.
  XmlWriter& Text(std::string_view text);
  // Adds already-serialized, well-formed XML (e.g. a forwarded stanza).
  XmlWriter& Raw(std::string_view xml);
  // Ends the start tag of the element just opened with '>' and leaves it
  // open without content (for a stream header, which is never closed).
  XmlWriter& EndStartTag();
  // Closes the innermost open element ("/>" if it is empty).
  XmlWriter& Close();

  // Number of elements still open.
  size_t depth() const { return open_.size(); }

 private:
  void FinishStartTag();

  std::string* out_;
  std::string names_;             // open elements' names, back to back
  std::vector<size_t> open_;      // where each open name starts in names_
  bool in_start_tag_ = false;
};

// Returns whether `name` is an ASCII QName (what our own names are).
bool IsAsciiQualifiedName(std::string_view name);

}  // namespace ringlet::xml
