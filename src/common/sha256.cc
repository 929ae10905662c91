#include "common/sha256.h"

#include <openssl/evp.h>

#include <memory>

namespace theater {

namespace {

// OpenSSL 3 looks the algorithm up on every one-shot SHA256() call; fetch it once and keep
// a context per thread instead (hashing is on every event's path).
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

}  // namespace

Hash Sha256(std::span<const uint8_t> data) {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  Hash out;
  unsigned int len = 0;
  EVP_DigestInit_ex2(ctx.get(), Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

}  // namespace theater
