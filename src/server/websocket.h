// WebSocket (RFC 6455) framing, for the dashboard's live connection: the same management
// protocol as the TCP port, one JSON document per text message. Only what a server needs:
// the handshake's accept key, reading a client's frame header, unmasking, and writing
// unmasked frames. Everything a client sends is checked here before any of its bytes are
// trusted: a client's frames must be masked, control frames are short and whole, and the
// reserved bits and opcodes are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace theater::server::websocket {

enum Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline constexpr size_t kMinHeaderBytes = 2;
inline constexpr size_t kMaxHeaderBytes = 14;  // 2 + 8 (64-bit length) + 4 (mask)
inline constexpr size_t kMaxControlPayload = 125;

// Close codes the server sends.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseTooBig = 1009;

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC GUID)).
std::string AcceptKey(std::string_view client_key);
// A Sec-WebSocket-Key is the base64 of 16 bytes.
bool ValidClientKey(std::string_view client_key);

struct FrameHeader {
  bool fin = false;
  uint8_t opcode = 0;
  uint8_t mask[4] = {};
  uint64_t length = 0;       // of the payload
  size_t header_bytes = 0;   // of the header itself
  bool control() const { return opcode & 0x8; }
};

// Reads a client's frame header from its first `have` bytes. Returns the header when they
// hold all of it; otherwise sets `*need` to how many header bytes there are in all (at
// least have + 1) and returns nullopt. An error names what is wrong with the frame.
Result<std::optional<FrameHeader>> ReadClientHeader(const uint8_t* bytes, size_t have, size_t* need);

// XORs `data` with the mask; `offset` is the position of data[0] in the payload.
void Unmask(char* data, size_t n, const uint8_t mask[4], uint64_t offset = 0);

// A server frame (unmasked, final).
std::string EncodeFrame(Opcode opcode, std::string_view payload);
// A close frame with `code` and a reason (cut to fit in a control frame).
std::string EncodeClose(uint16_t code, std::string_view reason);

}  // namespace theater::server::websocket
