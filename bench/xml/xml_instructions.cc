// Instruction counts of the XML tokenizer and of expat per byte of each
// xml_bench corpus, for callgrind: on a shared machine they are exact where
// timings are noisy. Runs `passes` passes of one parser over one corpus
// inside RunPasses(), so that callgrind can count only that:
//
//   bazel build -c opt //bench/xml:xml_instructions
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null
//       --toggle-collect='*RunPasses*' bazel-bin/bench/xml/xml_instructions ringlet chat 3
//
// (one command line).
//
// Instructions per byte = "Collected" / (passes * the bytes printed).

#include <expat.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "bench/xml/harness.h"
#include "xmpp/xml/tokenizer.h"

namespace {

using ringlet::bench::xml::Corpus;

// Not inlined: callgrind's --toggle-collect names it.
[[gnu::noinline]] long RunPasses(const Corpus& corpus, bool expat, int passes) {
  long stanzas = 0;
  size_t sink = 0;
  if (expat) {
    XML_Parser parser = XML_ParserCreateNS(nullptr, '\x01');
    for (int i = 0; i < passes; ++i) stanzas += ringlet::bench::xml::ExpatPass(corpus, parser, &sink);
    XML_ParserFree(parser);
  } else {
    ringlet::xml::XmlTokenizer tokenizer{ringlet::xml::XmlLimits()};
    for (int i = 0; i < passes; ++i) {
      stanzas += ringlet::bench::xml::RingletPass(corpus, &tokenizer, &sink);
    }
  }
  return sink == 0 ? -1 : stanzas;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || (std::string_view(argv[1]) != "ringlet" && std::string_view(argv[1]) != "expat")) {
    std::fprintf(stderr, "usage: %s ringlet|expat CORPUS PASSES\n", argv[0]);
    return 2;
  }
  const int passes = std::atoi(argv[3]);
  for (const Corpus& corpus : ringlet::bench::xml::Corpora()) {
    if (corpus.name != argv[2]) continue;
    const long stanzas = RunPasses(corpus, std::string_view(argv[1]) == "expat", passes);
    std::printf("%s %s bytes=%zu passes=%d stanzas=%ld (expected %zu)\n", argv[1],
                corpus.name.c_str(), corpus.stream.size(), passes, stanzas,
                corpus.stanzas * passes);
    return stanzas == static_cast<long>(corpus.stanzas * passes) ? 0 : 1;
  }
  std::fprintf(stderr, "no corpus %s\n", argv[2]);
  return 2;
}
