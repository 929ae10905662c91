// What the protocol fuzz target (fuzz/protocol_fuzz.cc) checks of one input. Header-only
// so that the GCC test build (tests/protocol_test.cc) runs the very same checks over
// fuzz/corpus/: every input put there (a seed, or a crash the fuzzer found) is checked on
// every test run, without clang.
//
// The input is a byte stream from a client. The checks:
//   - FrameReader (with a small limit) yields the same frames, the same error and the same
//     leftover whether the stream arrives whole, one byte at a time, or cut in two at a
//     place the first byte picks; the frames re-encode to exactly the bytes consumed; and
//     the input's frames repeated past 4 KiB (where the reader compacts) come out repeated.
//   - Every frame, and the whole input, goes through ParseCommand. An error has one of the
//     parser's kinds, and InvalidJson exactly when the text is not JSON or nests deeper
//     than the parser's limit (kDefaultMaxJsonDepth). A command turns
//     into JSON (CommandToJson) that parses back to an equal command, and that JSON is
//     stable: the way a client builds what the server reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/frame.h"
#include "server/protocol.h"

namespace theater::fuzz {

// Small, so that short inputs reach the over-limit path and hold several frames.
inline constexpr size_t kMaxFrameBytes = 1024;

// What a FrameReader made of a stream.
struct FrameSplit {
  std::vector<std::string> frames;
  std::string error;     // the error it ended with, if any
  size_t buffered = 0;   // bytes left over at the end
  std::string violation; // a broken promise of FrameReader, if any
};

// Feeds `stream` in pieces ending at each of `cuts` (ascending) and at the end, taking
// every frame it can after each piece.
inline FrameSplit SplitFrames(std::string_view stream, const std::vector<size_t>& cuts) {
  FrameSplit out;
  server::FrameReader reader(kMaxFrameBytes);
  size_t start = 0;
  auto drain = [&] {
    for (;;) {
      auto next = reader.Next();
      if (!next.ok()) {
        // Once an error, always the same error: the stream cannot be trusted after it.
        if (!out.error.empty() && next.error() != out.error && out.violation.empty())
          out.violation = "FrameReader changed its error from `" + out.error + "` to `" + next.error() + "`";
        out.error = next.error();
        return;
      }
      if (!next->has_value()) return;
      if (!out.error.empty() && out.violation.empty()) out.violation = "FrameReader returned a frame after an error";
      if ((*next)->size() > kMaxFrameBytes && out.violation.empty())
        out.violation = "FrameReader returned a frame of " + std::to_string((*next)->size()) + " bytes, over the limit";
      out.frames.push_back(std::move(**next));
    }
  };
  for (size_t cut : cuts) {
    if (cut <= start || cut >= stream.size()) continue;
    reader.Append(stream.substr(start, cut - start));
    drain();
    start = cut;
  }
  reader.Append(stream.substr(start));
  drain();
  drain();  // asking again changes nothing
  out.buffered = reader.buffered();
  return out;
}

inline bool SameCommand(const server::Command& a, const server::Command& b) {
  return a.kind == b.kind && a.name == b.name && a.id == b.id && a.manifest == b.manifest && a.data == b.data &&
         a.parent == b.parent && a.subscribe == b.subscribe && a.token == b.token &&
         a.subscription_id == b.subscription_id && a.from == b.from && a.limit == b.limit &&
         a.timeout_ms == b.timeout_ms && a.durable == b.durable && a.bytes_base64 == b.bytes_base64 && a.hash == b.hash;
}

// The start of `text` as a JSON string, for messages.
inline std::string Quote(std::string_view text) {
  return server::json(std::string(text.substr(0, 300))).dump(-1, ' ', false, server::json::error_handler_t::replace);
}

// How deeply `text` nests objects and arrays, measured without building it (the SAX
// parser does not recurse); nullopt when it is not JSON.
inline std::optional<size_t> JsonDepth(std::string_view text) {
  struct Counter : server::json::json_sax_t {
    using J = server::json;
    size_t depth = 0, deepest = 0;
    bool open() {
      deepest = std::max(deepest, ++depth);
      return true;
    }
    bool close() {
      --depth;
      return true;
    }
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(J::number_integer_t) override { return true; }
    bool number_unsigned(J::number_unsigned_t) override { return true; }
    bool number_float(J::number_float_t, const J::string_t&) override { return true; }
    bool string(J::string_t&) override { return true; }
    bool binary(J::binary_t&) override { return true; }
    bool start_object(std::size_t) override { return open(); }
    bool key(J::string_t&) override { return true; }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(); }
    bool end_array() override { return close(); }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  } counter;
  if (!server::json::sax_parse(text, &counter, server::json::input_format_t::json, /*strict=*/true,
                               /*ignore_comments=*/false))
    return std::nullopt;
  return counter.deepest;
}

// Empty when ParseCommand keeps its promises for `text`; else what went wrong.
inline std::string CheckCommandText(std::string_view text) {
  try {
    server::ParsedCommand parsed = server::ParseCommand(text);
    if (!parsed.command) {
      const std::string& kind = parsed.error.kind;
      if (kind != server::error_kind::kInvalidJson && kind != server::error_kind::kUnknownCommand &&
          kind != server::error_kind::kInvalidCommand)
        return "ParseCommand failed with kind `" + kind + "`";
      if (parsed.error.message.empty()) return "ParseCommand failed (" + kind + ") without a message";
      std::optional<size_t> depth = JsonDepth(text);
      bool is_json = depth.has_value();
      if (is_json != server::json::accept(text)) return "JsonDepth and json::accept disagree on " + Quote(text);
      bool refusable = !is_json || *depth > server::kDefaultMaxJsonDepth;
      if (refusable != (kind == server::error_kind::kInvalidJson))
        return "ParseCommand said " + kind + " of " + Quote(text) + ", which is " + (is_json ? "" : "not ") +
               "JSON" + (is_json ? " nested " + std::to_string(*depth) + " deep" : "");
      return "";
    }
    const server::Command& command = *parsed.command;
    if (std::optional<size_t> depth = JsonDepth(text); depth && *depth > server::kDefaultMaxJsonDepth)
      return "ParseCommand accepted " + Quote(text) + ", nested " + std::to_string(*depth) + " deep";
    if (server::CommandName(command.kind) != command.name)
      return "ParseCommand gave kind " + server::CommandName(command.kind) + " the name `" + command.name + "`";
    std::string again = server::CommandToJson(command).dump();
    server::ParsedCommand reparsed = server::ParseCommand(again);
    if (!reparsed.command)
      return "CommandToJson gave " + again + ", which does not parse: " + reparsed.error.kind + ": " +
             reparsed.error.message;
    if (!SameCommand(command, *reparsed.command))
      return "the command of " + Quote(text) + " became " + again + ", which parses to another command";
    std::string third = server::CommandToJson(*reparsed.command).dump();
    if (third != again) return "CommandToJson is not stable: " + again + " then " + third;
    return "";
  } catch (const std::exception& e) {
    return "exception on " + Quote(text) + ": " + e.what();
  }
}

// Empty when the protocol code keeps its promises for this input; else what went wrong.
inline std::string CheckProtocolInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);

  FrameSplit whole = SplitFrames(stream, {});
  if (!whole.violation.empty()) return whole.violation;
  std::vector<size_t> every_byte(size);
  for (size_t i = 0; i < size; ++i) every_byte[i] = i;
  size_t cut = size ? (size_t{data[0]} * (size + 1)) / 256 : 0;
  for (const FrameSplit& split : {SplitFrames(stream, every_byte), SplitFrames(stream, {cut})}) {
    if (!split.violation.empty()) return split.violation;
    if (split.frames != whole.frames || split.error != whole.error || split.buffered != whole.buffered)
      return "FrameReader split the stream differently when it came in pieces (" +
             std::to_string(split.frames.size()) + " frames, error `" + split.error + "`, " +
             std::to_string(split.buffered) + " left; whole: " + std::to_string(whole.frames.size()) +
             " frames, error `" + whole.error + "`, " + std::to_string(whole.buffered) + " left)";
  }

  // The frames are exactly the bytes consumed; what is left is not yet a whole frame, or
  // (after an error) starts with a header over the limit.
  std::string consumed;
  for (const std::string& frame : whole.frames) consumed += server::EncodeFrame(frame);
  if (stream.substr(0, consumed.size()) != consumed || whole.buffered != size - consumed.size())
    return "the frames FrameReader returned are not the bytes it consumed";
  std::string_view rest = stream.substr(consumed.size());
  if (rest.size() >= server::kFrameHeaderBytes) {
    uint32_t length = server::DecodeFrameLength(reinterpret_cast<const uint8_t*>(rest.data()));
    bool over = length > kMaxFrameBytes;
    if (over != !whole.error.empty()) return "FrameReader's error does not match the next header";
    if (!over && rest.size() >= server::kFrameHeaderBytes + length)
      return "FrameReader left a whole frame unread";
  } else if (!whole.error.empty()) {
    return "FrameReader failed without a header";
  }

  // Past 4 KiB read, the reader drops what it has returned: repeat the whole frames until
  // the stream is that long (inputs seldom are), feed it in pieces of a size the last byte
  // picks, and expect the same frames repeated and the same end. For a quarter of the
  // inputs (by the first byte; framed ones start with 0), as it costs more than the rest.
  if (!consumed.empty() && data[0] % 4 == 0) {
    size_t times = 8192 / consumed.size() + 2;
    std::string repeated;
    for (size_t i = 0; i < times; ++i) repeated += consumed;
    repeated += rest;
    std::vector<size_t> cuts;
    size_t piece = 1 + size_t{data[size - 1]};
    for (size_t at = piece; at < repeated.size(); at += piece) cuts.push_back(at);
    FrameSplit longer = SplitFrames(repeated, cuts);
    if (!longer.violation.empty()) return longer.violation;
    bool same = longer.frames.size() == times * whole.frames.size() && longer.error == whole.error &&
                longer.buffered == whole.buffered;
    for (size_t i = 0; same && i < longer.frames.size(); ++i)
      same = longer.frames[i] == whole.frames[i % whole.frames.size()];
    if (!same) return "FrameReader lost its way in a long stream (the input's frames repeated " +
                      std::to_string(times) + " times)";
  }

  for (const std::string& frame : whole.frames)
    if (std::string failure = CheckCommandText(frame); !failure.empty()) return failure;
  return CheckCommandText(stream);
}

}  // namespace theater::fuzz
