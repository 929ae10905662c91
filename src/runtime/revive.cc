// Revival: an actor that ran before (in a process that stopped or crashed) comes back with
// its id, its parent and its chain, and goes on from a recorded state without init.
#include <fstream>

#include <nlohmann/json.hpp>

#include "chain/event_data.h"
#include "common/uuid.h"
#include "runtime/actor_system.h"

namespace theater {
namespace {

// The chain file must be the one `events` were read from: its last record ends with the
// hash of the last event. Otherwise the new events would follow some other chain.
Status CheckChainFileHead(const std::filesystem::path& path, const ChainEvent& last) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::Error("its chain file " + path.string() + " does not exist");
  std::streamoff size = in.tellg();
  Hash head{};
  if (size < static_cast<std::streamoff>(8 + head.size())) return Status::Error(path.string() + " holds no events");
  in.seekg(size - static_cast<std::streamoff>(head.size()));
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (!in) return Status::Error(path.string() + ": cannot read its last record");
  if (head != last.hash)
    return Status::Error(path.string() + " does not end with the given events (its last event is not event " +
                         std::to_string(last.seq) + ")");
  return Status::Ok();
}

}  // namespace

Result<std::string> ActorSystem::Revive(const std::string& id, const std::string& parent, Manifest manifest,
                                        std::vector<ChainEvent> events, std::optional<Bytes> state,
                                        std::string reason) {
  // The id names its chain file: it must be an actor id, not a path.
  if (!IsUuid(id)) return Status::Error("`" + id + "` is not an actor id");
  if (Find(id)) return Status::Error("actor " + id + " is already in this actor system");
  if (events.empty() || events[0].type != "theater/actor-started")
    return Status::Error("the chain of actor " + id + " does not start with theater/actor-started");
  auto started = DecodeEventData(events[0].data);
  if (started.is_discarded() || started.value("actor_id", "") != id)
    return Status::Error("the chain given for actor " + id + " is another actor's");
  if (chain_store_ && manifest.save_chain)
    THEATER_RETURN_IF_ERROR(CheckChainFileHead(chain_store_->dir() / (id + ".chain"), events.back())
                                .WithContext("actor " + id));

  Permissions permissions;
  if (parent.empty()) {
    permissions = Permissions::FromManifest(manifest);
  } else {
    auto supervisor = Find(parent);
    if (!supervisor || supervisor->finished())
      return Status::Error("the parent " + parent + " of actor " + id + " is not running (revive parents first)");
    auto narrowed = ChildPermissions(parent, manifest);
    if (!narrowed.ok()) return narrowed.status();
    permissions = std::move(*narrowed);
  }
  return SpawnActor(std::move(manifest), std::move(permissions), parent, std::move(state), /*call_init=*/false,
                    Revival{id, std::move(events), std::move(reason)});
}

}  // namespace theater
