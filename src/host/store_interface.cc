#include "host/store_interface.h"

#include <algorithm>
#include <cctype>

#include "runtime/host_services.h"
#include "storage/content_store.h"
#include "runtime/host_binding.h"

namespace theater::host {
namespace {

// Stores one actor may create (`max_stores`): each may hold max_total_size.
constexpr uint64_t kDefaultMaxStores = 16;

constexpr char kStore[] = "theater:simple/store";
constexpr char kRefType[] = "record{hash: string}";

using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

std::optional<Value> Err(const std::string& why) { return Value::Err(Value::String(why)); }
std::optional<Value> Ok(std::optional<Value> v = std::nullopt) { return Value::Ok(std::move(v)); }
Value RefValue(const std::string& hash) { return Value::Record({{"hash", Value::String(hash)}}); }

uint64_t MaxTotalSize(ActorContext& a) {
  const nlohmann::json* s = a.permissions().Settings("store");
  return s ? s->value("max_total_size", ContentStore::kDefaultMaxTotalSize) : ContentStore::kDefaultMaxTotalSize;
}

// The ref in a content-ref record, lower-cased; an error unless it is 64 hex digits.
Result<std::string> RefArg(const Value& record) {
  std::string hash;
  for (const NamedValue& f : record.fields())
    if (f.name == "hash") hash = f.value.as_string();
  if (!ContentStore::IsContentRef(hash))
    return Status::Error("`" + hash.substr(0, 80) + "` is not a content ref (64 hex digits of a SHA-256)");
  std::transform(hash.begin(), hash.end(), hash.begin(), [](unsigned char c) { return std::tolower(c); });
  return hash;
}

// Content larger than the store may hold at all is refused before the store is touched.
Status CheckContentSize(ActorContext& a, const Value& content) {
  uint64_t max = MaxTotalSize(a), size = content.as_bytes().size();
  if (size > max)
    return Status::Error(std::to_string(size) + " bytes of content is more than max_total_size (" + std::to_string(max) + ")");
  return Status::Ok();
}

// Functions on a store: the id is checked (and access granted) before `fn` runs; its errors
// become err(message).
using StoreFn = std::function<Out(ActorContext&, ContentStore&, const std::string& store_id, Args&)>;
Status DefineOnStore(Engine& engine, const char* name, const std::string& signature, StoreFn fn) {
  return DefineActorFunction(engine, kStore, name, signature, [fn = std::move(fn)](ActorContext& a, Args& args) -> Out {
    const std::string& store_id = args.at(0).as_string();
    auto store = OpenGrantedStore(a, store_id);
    if (!store.ok()) return Err(store.error());
    return fn(a, **store, store_id, args);
  });
}

template <typename T, typename F>
std::optional<Value> Answer(const Result<T>& r, F to_value) {
  return r.ok() ? Ok(to_value(*r)) : Err(r.error());
}
std::optional<Value> Answer(const Status& s) { return s.ok() ? Ok() : Err(s.message()); }

}  // namespace

Result<ContentStore*> OpenGrantedStore(ActorContext& a, const std::string& store_id) {
  auto store = a.services().content_store();
  if (!store.ok()) return store.status();
  auto owner = (*store)->Owner(store_id);
  if (!owner.ok()) return owner.status();
  if (*owner == a.id()) return *store;
  if (const nlohmann::json* s = a.permissions().Settings("store"); s && s->contains("stores"))
    for (const auto& granted : (*s)["stores"])
      if (granted.is_string() && granted.get<std::string>() == store_id) return *store;
  std::string why = "store " + store_id + " belongs to " + (owner->empty() ? "no actor" : "another actor") +
                    " and is not in this actor's `stores` setting";
  a.Deny(why);
  return Status::Error(why);
}

Status DefineStoreInterface(Engine& engine) {
  const std::string ref(kRefType);
  THEATER_RETURN_IF_ERROR(DefineActorFunction(engine, kStore, "new", "func() -> result<string, string>",
                                              [](ActorContext& a, Args&) -> Out {
                                                auto store = a.services().content_store();
                                                if (!store.ok()) return Err(store.error());
                                                const nlohmann::json* settings = a.permissions().Settings("store");
                                                uint64_t max = settings ? settings->value("max_stores", kDefaultMaxStores)
                                                                        : kDefaultMaxStores;
                                                return Answer((*store)->NewStore(a.id(), max), Value::String);
                                              }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "store", "func(string, list<u8>) -> result<" + ref + ", string>",
      [](ActorContext& a, ContentStore& s, const std::string& id, Args& args) -> Out {
        if (Status ok = CheckContentSize(a, args.at(1)); !ok.ok()) return Err(ok.message());
        return Answer(s.Put(id, args.at(1).as_bytes(), MaxTotalSize(a)), RefValue);
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "get", "func(string, " + ref + ") -> result<list<u8>, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args& args) -> Out {
        auto hash = RefArg(args.at(1));
        if (!hash.ok()) return Err(hash.error());
        return Answer(s.Get(id, *hash), [](const Bytes& b) { return Value::BytesValue(b); });
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "exists", "func(string, " + ref + ") -> result<bool, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args& args) -> Out {
        auto hash = RefArg(args.at(1));
        if (!hash.ok()) return Err(hash.error());
        return Answer(s.Exists(id, *hash), [](bool b) { return Value(b); });
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "label", "func(string, string, " + ref + ") -> result<_, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args& args) -> Out {
        auto hash = RefArg(args.at(2));
        if (!hash.ok()) return Err(hash.error());
        return Answer(s.SetLabel(id, args.at(1).as_string(), *hash));
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "get-by-label", "func(string, string) -> result<option<" + ref + ">, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args& args) -> Out {
        return Answer(s.GetLabel(id, args.at(1).as_string()), [](const std::optional<std::string>& h) {
          return h ? Value::Some(RefValue(*h)) : Value::None();
        });
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "remove-label", "func(string, string) -> result<_, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args& args) -> Out {
        return Answer(s.RemoveLabel(id, args.at(1).as_string()));
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "remove-from-label", "func(string, string, " + ref + ") -> result<_, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args& args) -> Out {
        auto hash = RefArg(args.at(2));
        if (!hash.ok()) return Err(hash.error());
        return Answer(s.RemoveFromLabel(id, args.at(1).as_string(), *hash));
      }));
  for (bool replace : {false, true}) {
    THEATER_RETURN_IF_ERROR(DefineOnStore(
        engine, replace ? "replace-content-at-label" : "store-at-label",
        "func(string, string, list<u8>) -> result<" + ref + ", string>",
        [replace](ActorContext& a, ContentStore& s, const std::string& id, Args& args) -> Out {
          if (Status ok = CheckContentSize(a, args.at(2)); !ok.ok()) return Err(ok.message());
          return Answer(s.PutAtLabel(id, args.at(1).as_string(), args.at(2).as_bytes(), MaxTotalSize(a), replace),
                        RefValue);
        }));
  }
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "replace-at-label", "func(string, string, " + ref + ") -> result<_, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args& args) -> Out {
        auto hash = RefArg(args.at(2));
        if (!hash.ok()) return Err(hash.error());
        return Answer(s.SetLabel(id, args.at(1).as_string(), *hash));
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "list-labels", "func(string) -> result<list<string>, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args&) -> Out {
        return Answer(s.Labels(id), [](const std::vector<std::string>& names) {
          ValueList list;
          for (const auto& n : names) list.push_back(Value::String(n));
          return Value::List(std::move(list));
        });
      }));
  THEATER_RETURN_IF_ERROR(DefineOnStore(
      engine, "list-all-content", "func(string) -> result<list<" + ref + ">, string>",
      [](ActorContext&, ContentStore& s, const std::string& id, Args&) -> Out {
        return Answer(s.AllContent(id), [](const std::vector<std::string>& hashes) {
          ValueList list;
          for (const auto& h : hashes) list.push_back(RefValue(h));
          return Value::List(std::move(list));
        });
      }));
  return DefineOnStore(engine, "calculate-total-size", "func(string) -> result<u64, string>",
                       [](ActorContext&, ContentStore& s, const std::string& id, Args&) -> Out {
                         return Answer(s.TotalSize(id), Value::U64);
                       });
}

}  // namespace theater::host
