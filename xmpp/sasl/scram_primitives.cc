#include "xmpp/sasl/scram_primitives.h"

#include <openssl/base64.h>
#include <openssl/digest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include "core/check.h"

namespace ringlet::sasl {
namespace {

const EVP_MD* Md(ScramHash hash) {
  return hash == ScramHash::kSha1 ? EVP_sha1() : EVP_sha256();
}

const uint8_t* Bytes(std::string_view text) {
  return reinterpret_cast<const uint8_t*>(text.data());
}

class BoringSslRandom final : public RandomSource {
 public:
  void Fill(uint8_t* out, size_t size) override {
    CHECK(RAND_bytes(out, size) == 1);
  }
};

}  // namespace

RandomSource& SystemRandom() {
  static BoringSslRandom* random = new BoringSslRandom();
  return *random;
}

size_t ScramDigestBytes(ScramHash hash) {
  return hash == ScramHash::kSha1 ? 20 : 32;
}

const char* ScramHashName(ScramHash hash) {
  return hash == ScramHash::kSha1 ? "SHA-1" : "SHA-256";
}

std::string ScramDigest(ScramHash hash, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  CHECK(EVP_Digest(data.data(), data.size(),
                   reinterpret_cast<uint8_t*>(out.data()), &size, Md(hash),
                   nullptr) == 1);
  out.resize(size);
  return out;
}

std::string ScramHmac(ScramHash hash, std::string_view key,
                      std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int size = 0;
  CHECK(HMAC(Md(hash), key.data(), key.size(), Bytes(data), data.size(),
             reinterpret_cast<uint8_t*>(out.data()), &size) != nullptr);
  out.resize(size);
  return out;
}

std::string ScramSaltedPassword(ScramHash hash, std::string_view password,
                                std::string_view salt, uint32_t iterations) {
  CHECK(iterations > 0);
  std::string out(ScramDigestBytes(hash), '\0');
  CHECK(PKCS5_PBKDF2_HMAC(password.data(), password.size(), Bytes(salt),
                          salt.size(), iterations, Md(hash), out.size(),
                          reinterpret_cast<uint8_t*>(out.data())) == 1);
  return out;
}

ScramCredentials DeriveScramCredentials(ScramHash hash,
                                        std::string_view password,
                                        std::string_view salt,
                                        uint32_t iterations) {
  const std::string salted =
      ScramSaltedPassword(hash, password, salt, iterations);
  ScramCredentials credentials;
  credentials.salt = std::string(salt);
  credentials.iterations = iterations;
  credentials.stored_key =
      ScramDigest(hash, ScramHmac(hash, salted, "Client Key"));
  credentials.server_key = ScramHmac(hash, salted, "Server Key");
  return credentials;
}

ScramCredentials NewScramCredentials(ScramHash hash, std::string_view password,
                                     uint32_t iterations,
                                     RandomSource& random) {
  std::string salt(16, '\0');
  random.Fill(reinterpret_cast<uint8_t*>(salt.data()), salt.size());
  return DeriveScramCredentials(hash, password, salt, iterations);
}

bool VerifyScramPassword(ScramHash hash, const ScramCredentials& credentials,
                         std::string_view password) {
  if (credentials.iterations == 0) return false;
  const ScramCredentials derived = DeriveScramCredentials(
      hash, password, credentials.salt, credentials.iterations);
  return ConstantTimeEquals(derived.stored_key, credentials.stored_key);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Encode(std::string_view bytes) {
  size_t size = 0;
  CHECK(EVP_EncodedLength(&size, bytes.size()) == 1);
  std::string out(size, '\0');
  const size_t written = EVP_EncodeBlock(
      reinterpret_cast<uint8_t*>(out.data()), Bytes(bytes), bytes.size());
  out.resize(written);  // Drops the NUL EVP_EncodeBlock writes.
  return out;
}

bool Base64Decode(std::string_view text, std::string* bytes) {
  size_t size = 0;
  if (EVP_DecodedLength(&size, text.size()) != 1) return false;
  bytes->resize(size);
  size_t written = 0;
  if (EVP_DecodeBase64(reinterpret_cast<uint8_t*>(bytes->data()), &written,
                       size, Bytes(text), text.size()) != 1) {
    bytes->clear();
    return false;
  }
  bytes->resize(written);
  return true;
}

std::string EncodeSaslName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

bool DecodeSaslName(std::string_view text, std::string* name) {
  name->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ',') return false;
    if (c != '=') {
      *name += c;
      continue;
    }
    const std::string_view escape = text.substr(i + 1, 2);
    if (escape == "2C") {
      *name += ',';
    } else if (escape == "3D") {
      *name += '=';
    } else {
      return false;
    }
    i += 2;
  }
  return !name->empty();
}

std::string MakeScramNonce(RandomSource& random, size_t chars) {
  static_assert(kScramNonceAlphabet.size() == 64);
  std::string nonce(chars, '\0');
  // The characters are written over the random bytes in place.
  random.Fill(reinterpret_cast<uint8_t*>(nonce.data()), chars);
  for (char& c : nonce) c = kScramNonceAlphabet[static_cast<uint8_t>(c) % 64];
  return nonce;
}

std::string RandomSource::ScramNonce(size_t chars) { return MakeScramNonce(*this, chars); }

bool IsValidScramNonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

bool SplitScramAttributes(std::string_view message,
                          std::vector<ScramAttribute>* attributes) {
  attributes->clear();
  size_t start = 0;
  while (true) {
    const size_t comma = message.find(',', start);
    const std::string_view part = message.substr(
        start, comma == std::string_view::npos ? std::string_view::npos
                                               : comma - start);
    const char name = part.empty() ? '\0' : part[0];
    const bool letter =
        (name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z');
    if (!letter || part.size() < 2 || part[1] != '=') return false;
    attributes->push_back({name, part.substr(2)});
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

}  // namespace ringlet::sasl
