#include "cluster/sealed_message.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/sha256.h"

namespace theater::cluster {
namespace {

constexpr size_t kMacBytes = 32;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MessageSeal::MessageSeal(const std::string& secret) {
  Hash h = Sha256(ToBytes("theater-cluster-v1:" + secret));
  key_.assign(h.begin(), h.end());
}

Bytes MessageSeal::Mac(const std::string& subject, const uint8_t* body, size_t size) const {
  // MAC(subject || 0 || body): the zero ends the subject, which cannot hold one.
  Bytes input(subject.begin(), subject.end());
  input.push_back(0);
  input.insert(input.end(), body, body + size);
  Bytes mac(kMacBytes);
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), input.data(), input.size(), mac.data(), &len);
  return mac;
}

Bytes MessageSeal::Seal(const std::string& subject, json body) const {
  body["ts"] = NowMs();
  std::vector<uint8_t> cbor = json::to_cbor(body);
  Bytes sealed = Mac(subject, cbor.data(), cbor.size());
  sealed.insert(sealed.end(), cbor.begin(), cbor.end());
  return sealed;
}

Result<json> MessageSeal::Open(const std::string& subject, const Bytes& sealed) const {
  if (sealed.size() <= kMacBytes) return Status::Error("message of " + std::to_string(sealed.size()) + " bytes is too short");
  Bytes mac = Mac(subject, sealed.data() + kMacBytes, sealed.size() - kMacBytes);
  if (CRYPTO_memcmp(mac.data(), sealed.data(), kMacBytes) != 0)
    return Status::Error("bad MAC (not sealed with this cluster's secret)");
  json body = json::from_cbor(sealed.begin() + kMacBytes, sealed.end(), true, false);
  if (!body.is_object()) return Status::Error("not a CBOR map");
  int64_t age = NowMs() - body.value("ts", int64_t{0});
  int64_t max_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kMaxMessageAge).count();
  if (age > max_ms || age < -max_ms) return Status::Error("timestamp " + std::to_string(age) + " ms away from now");
  return body;
}

}  // namespace theater::cluster
