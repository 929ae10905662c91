// One actor: a component instance in its own store, its state, and its chain. Every call
// into it (a "turn") is recorded: "wasm/call" before, then the host calls it makes, then
// "wasm/result" or "wasm/error". A failed turn keeps the state from before it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "chain/chain_file.h"
#include "engine/engine.h"
#include "engine/instance.h"
#include "engine/state_call.h"
#include "manifest/manifest.h"
#include "runtime/actor_context.h"

namespace theater {

struct ActorOptions {
  // Chains are written to <chain_dir>/<actor-id>.chain (unless the manifest says
  // save_chain = false). Empty: chains stay in memory.
  std::filesystem::path chain_dir;
  ActorContext::LogSink log_sink;
  std::optional<Bytes> initial_state;  // overrides the manifest's init_state
};

// The result of one turn.
struct TurnOutcome {
  std::optional<Failure> failure;
  ValueList results;  // the export's results tuple, when it has one
  bool ok() const { return !failure; }
};

enum class ActorStatus { kCreated, kRunning, kFailed, kStopped };
std::string_view ActorStatusName(ActorStatus status);

class Actor {
 public:
  // Loads the component and checks that every import is granted by the manifest and
  // provided by this runtime. Nothing runs yet.
  static Result<std::unique_ptr<Actor>> Create(std::shared_ptr<Engine> engine, Manifest manifest,
                                               ActorOptions options);
  ~Actor();

  // Instantiates the component and calls actor.init.
  TurnOutcome Start();
  // message-server-client.handle-send
  TurnOutcome Send(const Bytes& message);
  // message-server-client.handle-request; `response` is none when the actor parks the request.
  TurnOutcome Request(const std::string& request_id, const Bytes& message, std::optional<Bytes>& response);
  // Records the stop and releases the instance.
  void Stop(const std::string& reason);

  const std::string& id() const { return context_.id(); }
  const Manifest& manifest() const { return context_.manifest(); }
  const std::optional<Bytes>& state() const { return context_.state(); }
  const Chain& chain() const { return context_.chain(); }
  ActorStatus status() const { return status_; }
  bool shutdown_requested() const { return context_.shutdown_requested(); }
  const std::shared_ptr<const Component>& component() const { return component_; }
  // Where the chain is saved; empty when it is kept in memory only.
  std::filesystem::path chain_path() const { return chain_file_ ? chain_file_->path() : std::filesystem::path(); }

 private:
  Actor(std::shared_ptr<Engine> engine, std::shared_ptr<const Component> component, Manifest manifest,
        ActorOptions options);
  TurnOutcome Turn(std::string_view interface, std::string_view function, std::string_view signature,
                   std::optional<ValueList> params);
  TurnOutcome Fail(Failure failure);

  std::shared_ptr<Engine> engine_;
  std::shared_ptr<const Component> component_;
  ActorOptions options_;
  ActorContext context_;
  std::unique_ptr<ChainFileWriter> chain_file_;
  std::unique_ptr<Instance> instance_;
  ActorStatus status_ = ActorStatus::kCreated;
};

}  // namespace theater
