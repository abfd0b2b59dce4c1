// The XML tokenizer against libexpat, on the same XMPP traffic.
//
// BM_Tokenize_Ringlet/<corpus>: XmlTokenizer finds each stanza (boundaries,
// full well-formedness checks, namespace checks) and the name of its top
// element. BM_Tokenize_Expat/<corpus>: expat in streaming mode with
// namespaces, doing the minimum a server needs: stanza boundaries and the
// top element's name and attributes. Both get the stream in the same 4 KiB
// pieces (see harness.h for the corpora). bytes_per_second and
// items_per_second (stanzas) are reported. xml_instructions runs the same
// passes for callgrind.

#include <expat.h>

#include "benchmark/benchmark.h"
#include "bench/xml/harness.h"
#include "xmpp/xml/tokenizer.h"

namespace {

using ringlet::bench::xml::Corpora;
using ringlet::bench::xml::Corpus;

void BM_Ringlet(benchmark::State& state, const Corpus* corpus) {
  ringlet::xml::XmlTokenizer tokenizer{ringlet::xml::XmlLimits()};
  size_t name_bytes = 0;
  for (auto _ : state) {
    const long stanzas = ringlet::bench::xml::RingletPass(*corpus, &tokenizer, &name_bytes);
    if (stanzas < 0) {
      state.SkipWithError("tokenizer error");
      return;
    }
    if (static_cast<size_t>(stanzas) != corpus->stanzas) state.SkipWithError("wrong stanza count");
  }
  benchmark::DoNotOptimize(name_bytes);
  state.SetBytesProcessed(state.iterations() * corpus->stream.size());
  state.SetItemsProcessed(state.iterations() * corpus->stanzas);
}

void BM_Expat(benchmark::State& state, const Corpus* corpus) {
  XML_Parser parser = XML_ParserCreateNS(nullptr, '\x01');
  size_t checksum = 0;
  for (auto _ : state) {
    const long stanzas = ringlet::bench::xml::ExpatPass(*corpus, parser, &checksum);
    if (stanzas < 0) {
      state.SkipWithError("expat error");
      break;
    }
    if (static_cast<size_t>(stanzas) != corpus->stanzas) state.SkipWithError("wrong stanza count");
  }
  XML_ParserFree(parser);
  benchmark::DoNotOptimize(checksum);
  state.SetBytesProcessed(state.iterations() * corpus->stream.size());
  state.SetItemsProcessed(state.iterations() * corpus->stanzas);
}

[[maybe_unused]] const bool kRegistered = [] {
  for (const Corpus& corpus : Corpora()) {
    benchmark::RegisterBenchmark(("BM_Tokenize_Ringlet/" + corpus.name).c_str(), BM_Ringlet,
                                 &corpus);
    benchmark::RegisterBenchmark(("BM_Tokenize_Expat/" + corpus.name).c_str(), BM_Expat,
                                 &corpus);
  }
  return true;
}();

}  // namespace
