// A client of the management protocol, for the CLI and for tests: connects, sends a
// command, reads its response; what the server streams meanwhile (chain events, channel
// messages) is kept for ReadMessage().
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <asio.hpp>

#include "common/status.h"
#include "server/frame.h"
#include "server/protocol.h"

namespace theater::server {

class Client {
 public:
  // HOST:PORT. With a token, authenticates first.
  static Result<std::unique_ptr<Client>> Connect(const std::string& address, const std::string& token = "",
                                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~Client();

  // Sends `command` and returns the response: the first message that is not a stream
  // item (ActorEvent, SubscriptionLagged, ChannelMessage, ChannelClosed by the actor,
  // ActorError/ActorExit/ActorFinished notices). An Error response is a response too.
  Result<json> Call(const json& command);
  // The next message from the server: a kept stream item, or one read now. nullopt when
  // `timeout` passes first.
  Result<std::optional<json>> ReadMessage(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  Status SendRaw(std::string_view bytes);  // for tests: anything, even a broken frame
  int fd() { return socket_->native_handle(); }  // to wait on it beside other files
  bool has_kept() const { return !kept_.empty(); }

 private:
  Client() = default;
  Result<std::optional<json>> ReadOne(std::optional<std::chrono::milliseconds> timeout);

  asio::io_context io_;
  std::unique_ptr<asio::ip::tcp::socket> socket_;
  FrameReader reader_{1u << 30};
  std::deque<json> kept_;
};

// How Connect's error begins when the server refused the token.
inline constexpr const char* kTokenRefused = "the server refused the token: ";

// Stream items, which arrive between responses.
bool IsStreamItem(const json& message);

}  // namespace theater::server
