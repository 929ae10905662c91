// Every handler (capability) a manifest can grant, in one table: its type, the WIT
// interface it grants, and each of its settings with the TOML type it takes and how a
// child's setting is held within its parent's. The manifest parser, the contract's
// import check (runtime/contract.cc) and the narrowing of a child's permissions
// (runtime/permissions.cc) all read this table; host/host_interfaces.cc defines each
// interface. A new host interface is its file in host/, a row here, and a line there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace theater {

enum class SettingType { kString, kBool, kInteger, kFloat, kStringArray };

// How a child's value of a setting must relate to its parent's (permissions.h).
enum class Narrowing {
  kFree,             // anything (a strategy, a seed, a private directory of its own)
  kSubset,           // a list within the parent's; a parent without the list has nothing to give
  kSubsetOrDefault,  // the same, but left out the parent has the default (allowed_methods)
  kSuperset,         // a deny list: at least what the parent denies
  kFlag,             // true only if the parent's is true
  kAtMost,           // a limit no larger than the parent's; left out, the child gets the parent's
  kInside,           // a directory inside the parent's (links resolved)
};

struct SettingSpec {
  std::string name;
  SettingType type;
  Narrowing narrowing;
  std::vector<std::string> choices;  // a string setting that takes one of these words
};

struct HandlerSpec {
  std::string type;       // as in [[handler]] type = "..."
  std::string interface;  // the WIT interface it grants ("" for none: wasi is a family)
  std::vector<SettingSpec> settings;

  const SettingSpec* Setting(std::string_view name) const;
  std::vector<std::string> SettingNames() const;  // sorted
};

// In the contract's order.
const std::vector<HandlerSpec>& HandlerCatalog();
// nullptr for a type no handler has.
const HandlerSpec* FindHandlerSpec(std::string_view type);

// Interfaces of theater:simple that only carry types: any actor may import them.
const std::vector<std::string>& TypesOnlyInterfaces();

}  // namespace theater
