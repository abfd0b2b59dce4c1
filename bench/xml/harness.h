#pragma once

// The XML tokenizer benchmark's corpora and the one pass over a corpus that
// each parser makes, shared by xml_bench (time) and xml_instructions
// (instruction counts under callgrind), so that both measure the same work.
//
// Corpora: chat (small chat messages), presence_caps (presence with entity
// capabilities), roster (roster results of 100 items), mam_page (MAM pages
// of 50 forwarded messages + the closing iq), stanza_64k (one 64 KiB
// message). Each parser gets the stream in the same 4 KiB pieces (receive
// buffers), so both also pay for stanzas that straddle buffers.

#include <expat.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/xml/tokenizer.h"

namespace ringlet::bench::xml {

inline constexpr size_t kReceiveBufferBytes = 4096;

struct Corpus {
  std::string name;
  std::string stream;
  size_t stanzas = 0;
};

// Returns the corpora, built once.
const std::vector<Corpus>& Corpora();

// One pass of XmlTokenizer over `corpus`: stanza boundaries, full
// well-formedness and namespace checks, and the top element's name. Returns
// the number of stanzas, or -1 on an error event. `tokenizer` is restarted
// first (it keeps its buffers between passes, as a connection's would).
long RingletPass(const Corpus& corpus, ringlet::xml::XmlTokenizer* tokenizer,
                 size_t* name_bytes);

// One pass of expat (streaming, namespace-aware) over `corpus`, doing the
// minimum a server needs: stanza boundaries and the top element's name and
// attributes. Returns the number of stanzas, or -1 on an error. `parser`
// comes from XML_ParserCreateNS and is reset first.
long ExpatPass(const Corpus& corpus, XML_Parser parser, size_t* checksum);

}  // namespace ringlet::bench::xml
