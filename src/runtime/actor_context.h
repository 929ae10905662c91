// What host functions see of the actor that calls them: its identity, manifest, state and
// chain, and the few requests an actor can make of its runtime (log, shut down).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "chain/chain.h"
#include "common/bytes.h"
#include "manifest/manifest.h"
#include "runtime/value_json.h"

namespace theater {

class ActorContext {
 public:
  using LogSink = std::function<void(const std::string& actor_id, const std::string& line)>;

  ActorContext(std::string id, Manifest manifest, LogSink log_sink)
      : id_(std::move(id)), manifest_(std::move(manifest)), log_sink_(std::move(log_sink)) {}

  const std::string& id() const { return id_; }
  const Manifest& manifest() const { return manifest_; }

  const std::optional<Bytes>& state() const { return state_; }
  void set_state(std::optional<Bytes> state) { state_ = std::move(state); }

  Chain& chain() { return chain_; }
  const Chain& chain() const { return chain_; }
  // Appends an event whose data is `data` encoded as CBOR, stamped with the current time.
  Status Record(std::string type, const ordered_json& data);

  void Log(const std::string& line) { if (log_sink_) log_sink_(id_, line); }

  // runtime.shutdown: the actor stops once the current call returns.
  void RequestShutdown(std::optional<Bytes> data) {
    shutdown_requested_ = true;
    shutdown_data_ = std::move(data);
  }
  bool shutdown_requested() const { return shutdown_requested_; }
  const std::optional<Bytes>& shutdown_data() const { return shutdown_data_; }

 private:
  std::string id_;
  Manifest manifest_;
  LogSink log_sink_;
  std::optional<Bytes> state_;
  Chain chain_;
  bool shutdown_requested_ = false;
  std::optional<Bytes> shutdown_data_;
};

// Unix time in milliseconds.
uint64_t NowMs();

}  // namespace theater
