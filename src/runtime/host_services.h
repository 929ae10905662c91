// What a host interface may use of the actor system beyond its own actor: the content
// store, the timers, where the data lives, and calling an actor's handler export. Host
// interfaces (src/host/) hold this narrow face, never the whole ActorSystem, which
// implements it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"

namespace theater {

class ContentStore;
class TimerQueue;
struct ExportCall;

class HostServices {
 public:
  virtual ~HostServices() = default;
  // The content store (the store handler, store:// references); opened on first use.
  virtual Result<ContentStore*> content_store() = 0;
  virtual TimerQueue& timers() = 0;
  // The server's data directory ("" for a system that keeps nothing on disk).
  virtual const std::filesystem::path& data_dir() const = 0;
  // Calls one of actor `to`'s handler exports (see ExportCall): an error when the actor is
  // not there, does not export the interface, or has no room in its mailbox; otherwise
  // `call->done` is called exactly once.
  virtual Status CallExport(const std::string& to, std::shared_ptr<ExportCall> call) = 0;
};

}  // namespace theater
