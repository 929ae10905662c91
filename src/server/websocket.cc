#include "server/websocket.h"

#include <openssl/evp.h>

#include "common/base64.h"

namespace theater::server::websocket {

std::string AcceptKey(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string text(client_key);
  text.append(kGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha1(), nullptr);
  return Base64Encode(Bytes(digest, digest + n));
}

bool ValidClientKey(std::string_view client_key) {
  auto bytes = Base64Decode(client_key);
  return bytes && bytes->size() == 16;
}

Result<std::optional<FrameHeader>> ReadClientHeader(const uint8_t* b, size_t have, size_t* need) {
  if (have < kMinHeaderBytes) {
    *need = kMinHeaderBytes;
    return std::optional<FrameHeader>();
  }
  FrameHeader h;
  h.fin = b[0] & 0x80;
  h.opcode = b[0] & 0x0F;
  bool masked = b[1] & 0x80;
  uint8_t len7 = b[1] & 0x7F;
  if (b[0] & 0x70) return Status::Error("a WebSocket frame sets reserved bits (no extension was agreed)");
  switch (h.opcode) {
    case kContinuation: case kText: case kBinary: case kClose: case kPing: case kPong: break;
    default: return Status::Error("unknown WebSocket opcode " + std::to_string(h.opcode));
  }
  if (!masked) return Status::Error("a client's WebSocket frame must be masked");
  if (h.control() && (!h.fin || len7 > kMaxControlPayload))
    return Status::Error("a WebSocket control frame must be whole and at most 125 bytes");
  size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  size_t total = kMinHeaderBytes + extended + 4;
  if (have < total) {
    *need = total;
    return std::optional<FrameHeader>();
  }
  if (extended == 0) {
    h.length = len7;
  } else {
    for (size_t i = 0; i < extended; ++i) h.length = h.length << 8 | b[2 + i];
    // The shortest form is required, and the top bit of a 64-bit length must be clear.
    if ((extended == 2 && h.length < 126) || (extended == 8 && (h.length <= 0xFFFF || h.length >> 63)))
      return Status::Error("a WebSocket frame's length is not in its shortest form");
  }
  for (size_t i = 0; i < 4; ++i) h.mask[i] = b[2 + extended + i];
  h.header_bytes = total;
  return std::optional<FrameHeader>(h);
}

void Unmask(char* data, size_t n, const uint8_t mask[4], uint64_t offset) {
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<char>(data[i] ^ mask[(offset + i) & 3]);
}

std::string EncodeFrame(Opcode opcode, std::string_view payload) {
  std::string frame;
  size_t n = payload.size();
  frame.reserve(n + 10);
  frame.push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    frame.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    frame.push_back(static_cast<char>(126));
    frame.push_back(static_cast<char>(n >> 8));
    frame.push_back(static_cast<char>(n));
  } else {
    frame.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(uint64_t{n} >> shift));
  }
  frame.append(payload);
  return frame;
}

std::string EncodeClose(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code));
  reason = reason.substr(0, kMaxControlPayload - 2);
  // Cut at a UTF-8 character boundary: a close reason must be valid UTF-8.
  while (!reason.empty() && (static_cast<uint8_t>(reason.back()) & 0xC0) == 0x80) reason.remove_suffix(1);
  if (!reason.empty() && static_cast<uint8_t>(reason.back()) >= 0xC0) reason.remove_suffix(1);
  payload.append(reason);
  return EncodeFrame(kClose, payload);
}

}  // namespace theater::server::websocket
