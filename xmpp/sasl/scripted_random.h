#pragma once

// A RandomSource for tests: each Fill() call yields the bytes that make
// MakeScramNonce produce the next scripted nonce, so that the RFC example
// exchanges can be replayed byte for byte. Test-only; one thread.

#include <cstring>
#include <deque>
#include <string>
#include <utility>

#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::sasl {

class ScriptedRandom final : public RandomSource {
 public:
  // Queues a nonce for the next Fill() call.
  void AddNonce(std::string nonce) { nonces_.push_back(std::move(nonce)); }

  void Fill(uint8_t* out, size_t size) override {
    std::memset(out, 0xff, size);  // 0xff is skipped by MakeScramNonce.
    if (nonces_.empty()) return;
    const std::string nonce = std::move(nonces_.front());
    nonces_.pop_front();
    for (size_t i = 0; i < nonce.size() && i < size; ++i) {
      out[i] = static_cast<uint8_t>(kScramNonceAlphabet.find(nonce[i]));
    }
  }

 private:
  std::deque<std::string> nonces_;
};

}  // namespace ringlet::sasl
