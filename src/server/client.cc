#include "server/client.h"

#include <poll.h>

namespace theater::server {

bool IsStreamItem(const json& m) {
  if (!m.is_object() || m.size() != 1) return false;
  const std::string& tag = m.begin().key();
  // The response to CloseChannel says "by":"client"; the actor or another client closing it is news.
  if (tag == "ChannelClosed") return m.begin().value().value("by", "") != "client";
  return tag == "ActorEvent" || tag == "SubscriptionLagged" || tag == "ChannelMessage" || tag == "ActorError" ||
         tag == "ActorExit" || tag == "ActorFinished";
}

Result<std::unique_ptr<Client>> Client::Connect(const std::string& address, const std::string& token,
                                                std::chrono::milliseconds timeout) {
  std::unique_ptr<Client> c(new Client());
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return Status::Error("server address `" + address + "`: expected HOST:PORT");
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(c->io_);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return Status::Error("server address `" + address + "`: " + ec.message());
  c->socket_ = std::make_unique<asio::ip::tcp::socket>(c->io_);
  // Connect with a deadline: run the async connect for at most `timeout`.
  asio::error_code connect_ec = asio::error::would_block;
  asio::async_connect(*c->socket_, endpoints, [&](asio::error_code e, const asio::ip::tcp::endpoint&) { connect_ec = e; });
  c->io_.run_for(timeout);
  if (connect_ec == asio::error::would_block) {
    return Status::Error("cannot reach the Theater server at " + address + ": no answer within " +
                         std::to_string(timeout.count()) + " ms");
  }
  if (connect_ec)
    return Status::Error("cannot reach the Theater server at " + address + ": " + connect_ec.message() +
                         " (start one with `theater server`)");
  c->socket_->set_option(asio::ip::tcp::no_delay(true), ec);
  if (!token.empty()) {
    auto r = c->Call(json{{"Authenticate", {{"token", token}}}});
    if (!r.ok()) return r.status();
    if (r->contains("Error"))
      return Status::Error(std::string(kTokenRefused) + (*r)["Error"].value("message", "authentication failed"));
  }
  return c;
}

Client::~Client() {
  if (socket_) {
    asio::error_code ignored;
    socket_->close(ignored);
  }
}

Status Client::SendRaw(std::string_view bytes) {
  asio::error_code ec;
  asio::write(*socket_, asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec) return Status::Error("the server closed the connection: " + ec.message());
  return Status::Ok();
}

Result<json> Client::Call(const json& command) {
  THEATER_RETURN_IF_ERROR(SendRaw(EncodeFrame(command.dump())));
  for (;;) {
    auto m = ReadOne(std::nullopt);
    if (!m.ok()) return m.status();
    if (!*m) continue;
    if (IsStreamItem(**m)) {
      kept_.push_back(std::move(**m));
      continue;
    }
    return std::move(**m);
  }
}

Result<std::optional<json>> Client::ReadMessage(std::optional<std::chrono::milliseconds> timeout) {
  if (!kept_.empty()) {
    json m = std::move(kept_.front());
    kept_.pop_front();
    return std::optional<json>(std::move(m));
  }
  return ReadOne(timeout);
}

Result<std::optional<json>> Client::ReadOne(std::optional<std::chrono::milliseconds> timeout) {
  auto deadline = timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
  for (;;) {
    auto frame = reader_.Next();
    if (!frame.ok()) return frame.status();
    if (*frame) {
      json m = json::parse(**frame, nullptr, false);
      if (m.is_discarded()) return Status::Error("the server sent a frame that is not JSON");
      return std::optional<json>(std::move(m));
    }
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      // A timeout of 0 (or one that has run out) still takes what has already arrived.
      pollfd p{socket_->native_handle(), POLLIN, 0};
      int n = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
      if (n == 0) return std::optional<json>();
    }
    char buf[65536];
    asio::error_code ec;
    size_t n = socket_->read_some(asio::buffer(buf), ec);
    if (ec) return Status::Error(ec == asio::error::eof ? "the server closed the connection" : ec.message());
    reader_.Append(std::string_view(buf, n));
  }
}

}  // namespace theater::server
