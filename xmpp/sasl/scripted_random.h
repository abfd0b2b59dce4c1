#pragma once

// A RandomSource for tests: each ScramNonce() call returns the next scripted
// nonce, so that the RFC example exchanges can be replayed byte for byte
// (their nonces need not be in kScramNonceAlphabet). Fill() yields zeros.
// Test-only; one thread.

#include <cstring>
#include <deque>
#include <string>
#include <utility>

#include "xmpp/sasl/scram_primitives.h"

namespace ringlet::sasl {

class ScriptedRandom final : public RandomSource {
 public:
  // Queues a nonce for the next ScramNonce() call.
  void AddNonce(std::string nonce) { nonces_.push_back(std::move(nonce)); }

  void Fill(uint8_t* out, size_t size) override { std::memset(out, 0, size); }

  std::string ScramNonce(size_t chars) override {
    if (nonces_.empty()) return RandomSource::ScramNonce(chars);
    std::string nonce = std::move(nonces_.front());
    nonces_.pop_front();
    return nonce;
  }

 private:
  std::deque<std::string> nonces_;
};

}  // namespace ringlet::sasl
