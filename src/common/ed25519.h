// Ed25519 signatures (OpenSSL libcrypto): the key that signs chain checkpoints.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace theater {

using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

// A private key. Owns its OpenSSL handle.
class Ed25519Key {
 public:
  static Result<std::shared_ptr<const Ed25519Key>> Generate();
  // A PKCS#8 PEM file, as written by Save (or `openssl genpkey -algorithm ed25519`).
  static Result<std::shared_ptr<const Ed25519Key>> Load(const std::filesystem::path& path);
  ~Ed25519Key();
  Ed25519Key(const Ed25519Key&) = delete;
  Ed25519Key& operator=(const Ed25519Key&) = delete;

  // Writes the private key (mode 0600) and the public key beside it (`public_path`, PEM).
  Status Save(const std::filesystem::path& private_path, const std::filesystem::path& public_path) const;
  const Ed25519PublicKey& public_key() const { return public_key_; }
  Ed25519Signature Sign(std::span<const uint8_t> message) const;

 private:
  explicit Ed25519Key(void* pkey);
  void* pkey_;  // EVP_PKEY*
  Ed25519PublicKey public_key_{};
};

bool VerifyEd25519(const Ed25519PublicKey& key, std::span<const uint8_t> message, const Ed25519Signature& signature);

// A public key given as 64 hex digits, or a PEM file (public or private key).
Result<Ed25519PublicKey> ReadEd25519PublicKey(const std::string& hex_or_path);

}  // namespace theater
