// theater channel open|send|close: the client as a participant of a channel with an actor.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "cli/client_session.h"

namespace theater::cli {
namespace {

using server::json;

void PrintMessage(const Output& out, const json& m) {
  const std::string& tag = m.begin().key();
  const json& body = m.begin().value();
  if (tag == "ChannelMessage") {
    Bytes b = ProtocolBytes(body["message"]);
    if (out.json()) return out.Json({{"event", "message"}, {"channel_id", body["channel_id"]}, {"message", BytesJson(b)}});
    return out.Line("message", IsValidUtf8(b) ? ToString(b) : "0x" + ToHex(b));
  }
  if (out.json()) return out.Json(m);
  out.Line(tag, body.dump());
}

// Opens a channel and stays in it: lines on stdin are sent, messages are printed; EOF on
// stdin closes the channel, and so does the actor.
int Open(const ClientOptions& o, const std::string& actor, const std::optional<std::string>& message, int& exit_code) {
  auto client = ConnectOrReport(o, "channel open", exit_code);
  if (!client) return exit_code;
  json body = {{"actor_id", actor}, {"initial_message", message ? TextBytes(*message) : json(nullptr)}};
  auto r = CallExpecting(*client, {{"OpenChannel", body}}, "ChannelOpened", o, "channel open", exit_code);
  if (!r) return exit_code;
  std::string channel = (*r)["channel_id"].get<std::string>();
  Output out(o.json);
  if (out.json()) out.Json({{"event", "opened"}, {"channel_id", channel}, {"actor_id", actor}});
  else out.Line("opened", channel + " (type lines to send; Ctrl-D closes the channel)");
  bool stdin_open = true;
  std::string pending;  // stdin read but not yet sent: the start of a line
  for (;;) {
    while (client->has_kept()) {
      auto m = client->ReadMessage(std::chrono::milliseconds(0));
      if (!m.ok() || !*m) break;
      PrintMessage(out, **m);
      if ((**m).contains("ChannelClosed") && (**m)["ChannelClosed"].value("channel_id", "") == channel) return kExitOk;
    }
    pollfd fds[2] = {{client->fd(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    if (::poll(fds, stdin_open ? 2 : 1, -1) < 0) continue;
    if (fds[0].revents) {
      // Not a timeout of 0: Client::ReadMessage gives up before reading anything then.
      auto m = client->ReadMessage(std::chrono::milliseconds(100));
      if (!m.ok()) {
        std::fprintf(stderr, "theater channel open: %s\n", m.error().c_str());
        return kExitNoServer;
      }
      if (*m) {
        PrintMessage(out, **m);
        if ((**m).contains("ChannelClosed") && (**m)["ChannelClosed"].value("channel_id", "") == channel) return kExitOk;
      }
    }
    if (stdin_open && fds[1].revents) {
      // Read what there is and send each complete line: a line kept in a buffer (as
      // std::cin would) would wait there for the next input.
      char chunk[4096];
      ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n > 0) pending.append(chunk, static_cast<size_t>(n));
      std::vector<std::string> lines;
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
        lines.push_back(pending.substr(0, nl));
      if (n <= 0 && !pending.empty()) lines.push_back(std::move(pending));  // the last line, without its newline
      for (const std::string& line : lines)
        if (!CallExpecting(*client, {{"SendOnChannel", {{"channel_id", channel}, {"message", TextBytes(line)}}}},
                           "MessageSent", o, "channel open", exit_code))
          return exit_code;
      if (n <= 0) {
        stdin_open = false;
        auto closed = CallExpecting(*client, {{"CloseChannel", {{"channel_id", channel}}}}, "ChannelClosed", o,
                                    "channel open", exit_code);
        // What the actor said before the close (kept while waiting for the answer) is shown first.
        while (client->has_kept()) {
          auto m = client->ReadMessage(std::chrono::milliseconds(0));
          if (!m.ok() || !*m) break;
          PrintMessage(out, **m);
        }
        if (closed && !out.json()) out.Line("closed", channel);
        if (closed && out.json()) out.Json({{"event", "closed"}, {"channel_id", channel}, {"by", "client"}});
        return closed ? kExitOk : exit_code;
      }
    }
  }
}

}  // namespace

void AddChannelCommand(CLI::App& app, int& exit_code) {
  CLI::App* channel = app.add_subcommand("channel", "Take part in a channel with an actor on the server.");
  channel->require_subcommand(1);

  auto open = std::make_shared<ClientOptions>();
  auto actor = std::make_shared<std::string>();
  auto message = std::make_shared<std::optional<std::string>>();
  CLI::App* o = channel->add_subcommand(
      "open",
      "Open a channel to an actor (it accepts or rejects it in handle-channel-open) and stay in\n"
      "it: each line of stdin is sent on it, each message from the actor is printed. End of\n"
      "input closes the channel; so does the actor, or this command ending.");
  AddClientOptions(o, *open);
  o->add_option("actor", *actor, "The actor's id")->required();
  o->add_option("--message", *message, "The initial message that comes with the open");
  o->footer("Example:\n  echo hello | theater channel open 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --message alice\n"
            "Exit status: 0 closed, 1 refused, 3 no server.");
  o->callback([open, actor, message, &exit_code] { exit_code = Open(*open, *actor, *message, exit_code); });

  struct SendOpts : ClientOptions { std::string channel, data; };
  auto send = std::make_shared<SendOpts>();
  CLI::App* s = channel->add_subcommand("send", "Send a message on a channel a client has open (see `channel open`).");
  AddClientOptions(s, *send);
  s->add_option("channel", send->channel, "The channel's id")->required();
  s->add_option("data", send->data, "The message (its UTF-8 bytes)")->required();
  s->footer("Example:\n  theater channel send 6c1f...e2 'hello room'\nExit status: 0 sent, 1 no such channel, 3 no server.");
  s->callback([send, &exit_code] {
    auto client = ConnectOrReport(*send, "channel send", exit_code);
    if (!client) return;
    json body = {{"channel_id", send->channel}, {"message", TextBytes(send->data)}};
    auto r = CallExpecting(*client, {{"SendOnChannel", body}}, "MessageSent", *send, "channel send", exit_code);
    if (!r) return;
    if (send->json) Output(true).Json({{"ok", true}, {"channel_id", send->channel}});
    else Output(false).Line("sent", send->channel);
  });

  struct CloseOpts : ClientOptions { std::string channel; };
  auto close = std::make_shared<CloseOpts>();
  CLI::App* c = channel->add_subcommand("close", "Close a channel a client has open; the actor is told.");
  AddClientOptions(c, *close);
  c->add_option("channel", close->channel, "The channel's id")->required();
  c->footer("Example:\n  theater channel close 6c1f...e2\nExit status: 0 closed, 1 no such channel, 3 no server.");
  c->callback([close, &exit_code] {
    auto client = ConnectOrReport(*close, "channel close", exit_code);
    if (!client) return;
    auto r = CallExpecting(*client, {{"CloseChannel", {{"channel_id", close->channel}}}}, "ChannelClosed", *close,
                           "channel close", exit_code);
    if (!r) return;
    if (close->json) Output(true).Json({{"ok", true}, {"channel_id", close->channel}});
    else Output(false).Line("closed", close->channel);
  });
}

}  // namespace theater::cli
