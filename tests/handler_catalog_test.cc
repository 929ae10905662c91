// The handler catalog (manifest/handler_catalog.h) is the one place a host interface is
// described: these check that it agrees with the WIT contract, with the interfaces the
// host defines, and with itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "host/host_interfaces.h"
#include "manifest/handler_catalog.h"
#include "manifest/manifest.h"
#include "runtime/contract.h"
#include "runtime/permissions.h"
#include "test_util.h"

namespace theater {
namespace {

std::set<std::string> WitInterfaces() {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(THEATER_WIT_DIR)) {
    if (entry.path().extension() != ".wit") continue;
    std::ifstream in(entry.path());
    std::string word, name;
    while (in >> word)
      if (word == "interface" && in >> name) names.insert("theater:simple/" + name);
  }
  return names;
}

TEST(HandlerCatalog, EveryInterfaceIsInTheContractDefinedByTheHostAndFoundByItsImport) {
  auto wit = WitInterfaces();
  ASSERT_FALSE(wit.empty());
  std::set<std::string> defined;
  for (const auto& i : host::HostInterfaces()) defined.insert(i.handler);
  std::set<std::string> granting;
  for (const auto& spec : HandlerCatalog()) {
    if (spec.interface.empty()) continue;
    granting.insert(spec.type);
    EXPECT_TRUE(wit.count(spec.interface)) << spec.type << ": " << spec.interface << " is not in wit/";
    EXPECT_TRUE(defined.count(spec.type)) << spec.type << ": no host interface defines it (host/host_interfaces.cc)";
    EXPECT_EQ(contract::HandlerForInterface(spec.interface + "@0.1.0"), spec.type);
  }
  EXPECT_EQ(defined, granting) << "host/host_interfaces.cc defines an interface the catalog does not grant";
  for (const auto& types : TypesOnlyInterfaces()) {
    EXPECT_TRUE(wit.count(types)) << types;
    EXPECT_EQ(contract::HandlerForInterface(types), "");
  }
  EXPECT_EQ(contract::HandlerForInterface("wasi:cli/environment@0.2.3"), "wasi");
  EXPECT_EQ(contract::HandlerForInterface("wasi:http/outgoing-handler@0.2.3"), std::nullopt);
  EXPECT_EQ(contract::HandlerForInterface("theater:simple/nonexistent"), std::nullopt);
}

TEST(HandlerCatalog, EachSettingIsNarrowedAsItsTypeAllows) {
  for (const auto& spec : HandlerCatalog()) {
    std::set<std::string> names;
    for (const auto& s : spec.settings) {
      std::string where = spec.type + "." + s.name;
      EXPECT_TRUE(names.insert(s.name).second) << where << " twice";
      switch (s.narrowing) {
        case Narrowing::kSubset:
        case Narrowing::kSubsetOrDefault:
        case Narrowing::kSuperset: EXPECT_EQ(s.type, SettingType::kStringArray) << where; break;
        case Narrowing::kFlag: EXPECT_EQ(s.type, SettingType::kBool) << where; break;
        case Narrowing::kAtMost: EXPECT_EQ(s.type, SettingType::kInteger) << where; break;
        case Narrowing::kInside: EXPECT_EQ(s.type, SettingType::kString) << where; break;
        case Narrowing::kFree: break;
      }
      if (!s.choices.empty()) EXPECT_EQ(s.type, SettingType::kString) << where;
    }
  }
}

// The catalog drives the parser and the narrowing: a row's rules hold end to end.
TEST(HandlerCatalog, TheParserAndTheNarrowingFollowTheCatalog) {
  testing::TempDir dir;
  testing::WriteText(dir / "actor.wasm", "\0asm");
  const std::string head = "version = \"1\"\ncomponent = \"actor.wasm\"\n";
  auto parent = ParseManifest(head + R"(name = "p"
[[handler]]
type = "random"
max_bytes = 100
seed = 7
[[handler]]
type = "environment"
allowed_vars = ["A", "B"]
denied_vars = ["SECRET"]
)", dir.path(), "parent.toml");
  ASSERT_TRUE(parent.ok()) << parent.error();
  auto unknown = ParseManifest(head + "name = \"x\"\n[[handler]]\ntype = \"random\"\nmax_byte = 1\n", dir.path(), "x.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("(allowed: max_bytes, max_int, seed)"), std::string::npos) << unknown.error();
  auto child = [&](const std::string& handlers) {
    auto m = ParseManifest(head + "name = \"c\"\n" + handlers, dir.path(), "child.toml");
    EXPECT_TRUE(m.ok()) << m.error();
    return Permissions::ForChild(Permissions::FromManifest(*parent), {}, *m);
  };
  // A limit left out is the parent's; one above it is refused; a seed is free.
  auto narrowed = child("[[handler]]\ntype = \"random\"\nseed = 99\n");
  ASSERT_TRUE(narrowed.ok()) << narrowed.error();
  EXPECT_EQ((*narrowed->Settings("random"))["max_bytes"], 100);
  EXPECT_FALSE(child("[[handler]]\ntype = \"random\"\nmax_bytes = 101\n").ok());
  // A list within the parent's; a deny list at least the parent's.
  EXPECT_TRUE(child("[[handler]]\ntype = \"environment\"\nallowed_vars = [\"A\"]\ndenied_vars = [\"SECRET\"]\n").ok());
  auto wider = child("[[handler]]\ntype = \"environment\"\nallowed_vars = [\"C\"]\ndenied_vars = [\"SECRET\"]\n");
  ASSERT_FALSE(wider.ok());
  EXPECT_NE(wider.error().find("`C` is not allowed to the parent"), std::string::npos) << wider.error();
  auto undenied = child("[[handler]]\ntype = \"environment\"\nallowed_vars = [\"A\"]\n");
  ASSERT_FALSE(undenied.ok());
  EXPECT_NE(undenied.error().find("must deny `SECRET`"), std::string::npos) << undenied.error();
}

}  // namespace
}  // namespace theater
