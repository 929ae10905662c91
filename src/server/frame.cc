#include "server/frame.h"

namespace theater::server {

std::string EncodeFrame(std::string_view body) {
  uint32_t n = static_cast<uint32_t>(body.size());
  std::string frame;
  frame.reserve(kFrameHeaderBytes + body.size());
  frame.push_back(static_cast<char>(n >> 24));
  frame.push_back(static_cast<char>(n >> 16));
  frame.push_back(static_cast<char>(n >> 8));
  frame.push_back(static_cast<char>(n));
  frame.append(body);
  return frame;
}

uint32_t DecodeFrameLength(const uint8_t header[kFrameHeaderBytes]) {
  return uint32_t{header[0]} << 24 | uint32_t{header[1]} << 16 | uint32_t{header[2]} << 8 | uint32_t{header[3]};
}

Result<std::optional<std::string>> FrameReader::Next() {
  if (!error_.ok()) return error_;
  if (buffered() < kFrameHeaderBytes) return std::optional<std::string>();
  uint32_t length = DecodeFrameLength(reinterpret_cast<const uint8_t*>(buffer_.data() + offset_));
  if (length > max_) {
    error_ = Status::Error("frame of " + std::to_string(length) + " bytes is larger than the limit of " +
                           std::to_string(max_) + " bytes");
    return error_;
  }
  if (buffered() < kFrameHeaderBytes + length) return std::optional<std::string>();
  std::string body = buffer_.substr(offset_ + kFrameHeaderBytes, length);
  offset_ += kFrameHeaderBytes + length;
  // Drop what has been read once it is most of the buffer.
  if (offset_ > 4096 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return std::optional<std::string>(std::move(body));
}

}  // namespace theater::server
