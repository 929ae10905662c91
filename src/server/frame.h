// Frames of the management protocol: a 4-byte big-endian length, then that many bytes of
// a JSON document (docs/protocol.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace theater::server {

inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr size_t kDefaultMaxFrameBytes = 16u << 20;

// The header and body of one frame.
std::string EncodeFrame(std::string_view body);
// The body length a header announces.
uint32_t DecodeFrameLength(const uint8_t header[kFrameHeaderBytes]);

// Splits a byte stream into frames, for readers that get bytes in arbitrary pieces (the
// client, the fuzz target). A frame longer than the limit is an error, and so is every
// later call: the stream cannot be trusted after it.
class FrameReader {
 public:
  explicit FrameReader(size_t max_frame_bytes = kDefaultMaxFrameBytes) : max_(max_frame_bytes) {}
  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // The next whole frame's body; nullopt when more bytes are needed.
  Result<std::optional<std::string>> Next();
  // Bytes received but not yet returned as a frame.
  size_t buffered() const { return buffer_.size() - offset_; }

 private:
  size_t max_;
  std::string buffer_;
  size_t offset_ = 0;
  Status error_;
};

}  // namespace theater::server
