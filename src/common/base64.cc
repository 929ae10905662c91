#include "common/base64.h"

#include <openssl/evp.h>

#include <climits>

namespace theater {

std::string Base64Encode(const Bytes& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  if (bytes.empty()) return out;
  // EVP_EncodeBlock takes an int length: encode in chunks a multiple of 3 bytes long.
  constexpr size_t kChunk = 3 * (1u << 28);
  size_t written = 0;
  for (size_t at = 0; at < bytes.size(); at += kChunk) {
    size_t n = std::min(kChunk, bytes.size() - at);
    written += static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                                                   bytes.data() + at, static_cast<int>(n)));
  }
  out.resize(written);
  return out;
}

std::optional<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0 || text.size() > static_cast<size_t>(INT_MAX)) return std::nullopt;
  // OpenSSL skips leading and trailing whitespace and accepts '=' mid-way in some
  // positions: check the text is canonical first, so that one encoding means one value.
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // only the last two may be padding
      ++padding;
    } else if (!alphabet || padding > 0) {
      return std::nullopt;
    }
  }
  Bytes out(text.size() / 4 * 3);
  if (text.empty()) return out;
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - padding);  // EVP_DecodeBlock counts the padding as zero bytes
  // The bits the padding leaves unused must be zero ("QR==" is not "QQ=="): the last
  // group, encoded again, is the text's last group.
  size_t tail = out.size() - (3 - padding);
  unsigned char again[5];
  EVP_EncodeBlock(again, out.data() + tail, static_cast<int>(out.size() - tail));
  if (std::string_view(reinterpret_cast<char*>(again), 4) != text.substr(text.size() - 4)) return std::nullopt;
  return out;
}

}  // namespace theater
