#include "common/ed25519.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>

#include "common/files.h"

namespace theater {

namespace {

EVP_PKEY* Pkey(void* p) { return static_cast<EVP_PKEY*>(p); }

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

bool RawPublicKey(EVP_PKEY* pkey, Ed25519PublicKey& out) {
  size_t len = out.size();
  return EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) == 1 && len == out.size();
}

std::string PemOf(bool is_private, EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  int ok = is_private ? PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr)
                      : PEM_write_bio_PUBKEY(bio.get(), pkey);
  if (ok != 1) return "";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

}  // namespace

Ed25519Key::Ed25519Key(void* pkey) : pkey_(pkey) { RawPublicKey(Pkey(pkey_), public_key_); }

Ed25519Key::~Ed25519Key() { EVP_PKEY_free(Pkey(pkey_)); }

Result<std::shared_ptr<const Ed25519Key>> Ed25519Key::Generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!pkey) return Status::Error("could not generate an Ed25519 key");
  return std::shared_ptr<const Ed25519Key>(new Ed25519Key(pkey));
}

Result<std::shared_ptr<const Ed25519Key>> Ed25519Key::Load(const std::filesystem::path& path) {
  auto pem = ReadFile(path, kMaxSmallFileBytes);
  if (!pem.ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!pkey) return Status::Error(path.string() + ": not a PEM private key");
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(pkey);
    return Status::Error(path.string() + ": the key is not an Ed25519 key");
  }
  return std::shared_ptr<const Ed25519Key>(new Ed25519Key(pkey));
}

Status Ed25519Key::Save(const std::filesystem::path& private_path, const std::filesystem::path& public_path) const {
  std::string priv = PemOf(true, Pkey(pkey_)), pub = PemOf(false, Pkey(pkey_));
  if (priv.empty() || pub.empty()) return Status::Error("could not encode the key as PEM");
  std::error_code ec;
  std::filesystem::create_directories(private_path.parent_path(), ec);
  // The private key is created 0600 before anything is written into it.
  std::FILE* f = std::fopen(private_path.c_str(), "wx");
  if (!f) return Status::Error(private_path.string() + ": cannot create (does it exist already?)");
  ::fchmod(fileno(f), 0600);
  bool wrote = std::fwrite(priv.data(), 1, priv.size(), f) == priv.size();
  if (std::fclose(f) != 0 || !wrote) return Status::Error(private_path.string() + ": write failed");
  return WriteFileAtomic(public_path, ToBytes(pub));
}

Ed25519Signature Ed25519Key::Sign(std::span<const uint8_t> message) const {
  Ed25519Signature sig{};
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = sig.size();
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, Pkey(pkey_)) != 1 ||
      EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    sig.fill(0);  // never verifies
  return sig;
}

bool VerifyEd25519(const Ed25519PublicKey& key, std::span<const uint8_t> message, const Ed25519Signature& signature) {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size()));
  if (!pkey) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(), message.size()) == 1;
}

Result<Ed25519PublicKey> ReadEd25519PublicKey(const std::string& hex_or_path) {
  Ed25519PublicKey key{};
  if (auto raw = FromHex(hex_or_path); raw && raw->size() == key.size()) {
    std::copy(raw->begin(), raw->end(), key.begin());
    return key;
  }
  auto pem = ReadFile(hex_or_path, kMaxSmallFileBytes);
  if (!pem.ok()) return Status::Error("`" + hex_or_path + "` is neither 64 hex digits nor a readable key file");
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  PkeyPtr pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) {
    BioPtr again(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    pkey.reset(PEM_read_bio_PrivateKey(again.get(), nullptr, nullptr, nullptr));
  }
  if (!pkey) return Status::Error(hex_or_path + ": not a PEM key");
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519 || !RawPublicKey(pkey.get(), key))
    return Status::Error(hex_or_path + ": the key is not an Ed25519 key");
  return key;
}

}  // namespace theater
