#include "chain/state_ref.h"

#include "chain/event_data.h"

namespace theater {

StateRef StateRefOf(std::span<const uint8_t> bytes) { return StateRef{Sha256(bytes), bytes.size()}; }

std::optional<StateRef> OptionalStateRefOf(const std::optional<Bytes>& state) {
  if (!state) return std::nullopt;
  return StateRefOf(std::span<const uint8_t>(*state));
}

nlohmann::ordered_json StateRefToJson(const std::optional<StateRef>& ref) {
  if (!ref) return nullptr;
  return {{"sha256", ToHex(ref->sha256)}, {"size", ref->size}};
}

void WriteStateRef(CborWriter& w, const std::optional<StateRef>& ref) {
  if (!ref) {
    w.Null();
    return;
  }
  w.Map(2);
  w.Key("sha256");
  w.Text(ToHex(ref->sha256));
  w.Key("size");
  w.UInt(ref->size);
}

Result<std::optional<StateRef>> StateRefFromJson(const nlohmann::json& value) {
  if (value.is_null()) return std::optional<StateRef>();
  if (value.is_binary())
    return Status::Error("the state is inline (" + std::to_string(value.get_binary().size()) +
                         " bytes): written by an older Theater, which recorded states in the chain");
  if (!value.is_object()) return Status::Error("the state is neither null nor {\"sha256\", \"size\"}");
  auto digest = value.find("sha256");
  auto size = value.find("size");
  if (digest == value.end() || !digest->is_string() || size == value.end() || !size->is_number_unsigned())
    return Status::Error("the state must have a \"sha256\" text and an unsigned \"size\"");
  const std::string& hex = digest->get_ref<const std::string&>();
  auto bytes = hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos
                   ? FromHex(hex)
                   : std::nullopt;
  if (!bytes) return Status::Error("the state's sha256 is not 64 lower-case hex digits");
  StateRef ref;
  std::copy(bytes->begin(), bytes->end(), ref.sha256.begin());
  ref.size = size->get<uint64_t>();
  return std::optional<StateRef>(ref);
}

const char* StateFieldOf(const std::string& event_type) {
  if (event_type == "wasm/result" || event_type == "theater/actor-restarted" || event_type == "theater/actor-resumed")
    return "state";
  if (event_type == "theater/actor-started") return "initial_state";
  return nullptr;
}

Result<RecordedState> StateRecordedBy(const ChainEvent& event) {
  const char* field = StateFieldOf(event.type);
  if (!field) return RecordedState{};
  auto data = DecodeEventData(event.data);  // the chain may come from anyone: bounded
  if (!data.is_object()) return Status::Error("event " + std::to_string(event.seq) + " (" + event.type + ") has no readable data");
  auto it = data.find(field);
  if (it == data.end()) return RecordedState{true, std::nullopt};  // absent reads as null
  auto ref = StateRefFromJson(*it);
  if (!ref.ok()) return ref.status().WithContext("event " + std::to_string(event.seq) + " (" + event.type + ") `" + field + "`");
  return RecordedState{true, *ref};
}

Result<std::vector<StateRef>> SnapshotsNamedBy(const ChainEvent& event) {
  auto state = StateRecordedBy(event);
  if (!state.ok()) return state.status();
  std::vector<StateRef> refs;
  if (state->ref) refs.push_back(*state->ref);
  if (MayNameBytesByRef(event.data)) {
    std::string why = CheckEventData(event.data, &refs);
    if (!why.empty()) return Status::Error("event " + std::to_string(event.seq) + " (" + event.type + ") has data that is not readable: " + why);
  }
  return refs;
}

}  // namespace theater
