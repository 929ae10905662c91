#include <gtest/gtest.h>

#include "manifest/manifest.h"
#include "test_util.h"

namespace theater {
namespace {

using testing::TempDir;
using testing::WriteText;

class ManifestTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteText(dir_ / "actor.wasm", "\0asm"); }
  // Writes `text` as manifest.toml and loads it.
  Result<Manifest> Load(const std::string& text) {
    WriteText(dir_ / "manifest.toml", text);
    return LoadManifest(dir_ / "manifest.toml");
  }
  // Loads `text` and returns the error, failing the test if it loaded.
  std::string Error(const std::string& text) {
    auto m = Load(text);
    EXPECT_FALSE(m.ok()) << "expected an error for:\n" << text;
    return m.ok() ? "" : m.error();
  }
  TempDir dir_;
};

constexpr char kMinimal[] = "name = \"a\"\nversion = \"1.0\"\ncomponent = \"actor.wasm\"\n";

TEST_F(ManifestTest, LoadsEveryContractField) {
  WriteText(dir_ / "state.json", "{\"count\": 1}");
  auto m = Load(R"(
name = "counter"
version = "0.1.0"
description = "counts"
component = "actor.wasm"
init_state = "state.json"
save_chain = false

[[handler]]
type = "runtime"

[[handler]]
type = "filesystem"
path = "data"
allowed_commands = ["ls"]

[[handler]]
type = "random"
seed = 42

[limits]
fuel_per_call = 1000
call_timeout_ms = 50

[permission_policy.filesystem]
type = "restrict"
path = "data/sub"
)");
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->name, "counter");
  EXPECT_EQ(m->version, "0.1.0");
  EXPECT_EQ(m->description, "counts");
  EXPECT_EQ(m->component_path, (dir_ / "actor.wasm").lexically_normal());
  EXPECT_EQ(ToString(*m->init_state), "{\"count\": 1}");
  EXPECT_FALSE(m->save_chain);
  ASSERT_EQ(m->handlers.size(), 3u);
  EXPECT_TRUE(m->Grants("runtime"));
  EXPECT_FALSE(m->Grants("process"));
  // Relative to the manifest's folder, as the component is.
  EXPECT_EQ(m->Handler("filesystem")->settings["path"], (dir_ / "data").lexically_normal().string());
  EXPECT_EQ(m->permission_policies.at(0).settings["path"], (dir_ / "data/sub").lexically_normal().string());
  EXPECT_EQ(m->Handler("filesystem")->settings["allowed_commands"][0], "ls");
  EXPECT_EQ(m->Handler("random")->settings["seed"], 42);
  EXPECT_EQ(m->limits.fuel_per_call, 1000u);
  EXPECT_EQ(m->limits.call_timeout_ms, 50u);
  EXPECT_EQ(m->limits.max_memory_bytes, ActorLimits().max_memory_bytes);  // default kept
  ASSERT_EQ(m->permission_policies.size(), 1u);
  EXPECT_EQ(m->permission_policies[0].type, "restrict");
}

TEST_F(ManifestTest, ComponentPathIsRelativeToTheManifest) {
  std::filesystem::create_directories(dir_ / "sub");
  WriteText(dir_ / "sub" / "x.wasm", "x");
  WriteText(dir_ / "sub" / "m.toml", "name = \"a\"\nversion = \"1\"\ncomponent = \"x.wasm\"\n");
  auto m = LoadManifest(dir_ / "sub" / "m.toml");
  ASSERT_TRUE(m.ok()) << m.error();
  EXPECT_EQ(m->component_path, (dir_ / "sub" / "x.wasm").lexically_normal());
}

TEST_F(ManifestTest, MissingRequiredFieldsAreNamed) {
  std::string e = Error("version = \"1\"\ncomponent = \"actor.wasm\"\n");
  EXPECT_NE(e.find("manifest.toml"), std::string::npos) << e;
  EXPECT_NE(e.find("field `name`"), std::string::npos) << e;
  EXPECT_NE(e.find("missing"), std::string::npos) << e;
  EXPECT_NE(Error("name = \"a\"\ncomponent = \"actor.wasm\"\n").find("field `version`"), std::string::npos);
  EXPECT_NE(Error("name = \"a\"\nversion = \"1\"\n").find("field `component`"), std::string::npos);
}

TEST_F(ManifestTest, MalformedTomlGivesLineAndColumn) {
  std::string e = Error("name = \"a\"\nversion = 1.0.0\n");
  EXPECT_NE(e.find("manifest.toml:2:"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid TOML"), std::string::npos) << e;
}

TEST_F(ManifestTest, MissingComponentFileIsNamed) {
  std::string e = Error("name = \"a\"\nversion = \"1\"\ncomponent = \"nope.wasm\"\n");
  EXPECT_NE(e.find("manifest.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("field `component`"), std::string::npos) << e;
  EXPECT_NE(e.find("nope.wasm"), std::string::npos) << e;
  EXPECT_NE(e.find("not found"), std::string::npos) << e;
}

TEST_F(ManifestTest, ComponentThatIsADirectoryIsRefused) {
  std::filesystem::create_directories(dir_ / "d.wasm");
  std::string e = Error("name = \"a\"\nversion = \"1\"\ncomponent = \"d.wasm\"\n");
  EXPECT_NE(e.find("directory"), std::string::npos) << e;
}

TEST_F(ManifestTest, UnreadableComponentIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  WriteText(dir_ / "locked.wasm", "x");
  std::filesystem::permissions(dir_ / "locked.wasm", std::filesystem::perms::none);
  std::string e = Error("name = \"a\"\nversion = \"1\"\ncomponent = \"locked.wasm\"\n");
  EXPECT_NE(e.find("cannot be read"), std::string::npos) << e;
}

TEST_F(ManifestTest, UnknownHandlerTypeIsNamedWithItsPosition) {
  std::string e = Error(std::string(kMinimal) + "[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"telepathy\"\n");
  EXPECT_NE(e.find("handler[1].type"), std::string::npos) << e;
  EXPECT_NE(e.find("telepathy"), std::string::npos) << e;
  EXPECT_NE(e.find("known:"), std::string::npos) << e;
  EXPECT_NE(e.find("manifest.toml:7"), std::string::npos) << e;
}

TEST_F(ManifestTest, HandlerWithoutTypeIsRefused) {
  EXPECT_NE(Error(std::string(kMinimal) + "[[handler]]\npath = \"x\"\n").find("handler[0].type"), std::string::npos);
}

TEST_F(ManifestTest, UnknownSettingIsRefused) {
  std::string e = Error(std::string(kMinimal) + "[[handler]]\ntype = \"environment\"\nalowed_vars = [\"HOME\"]\n");
  EXPECT_NE(e.find("handler[0].alowed_vars"), std::string::npos) << e;
  EXPECT_NE(e.find("allowed_vars"), std::string::npos) << e;  // lists what is allowed
}

TEST_F(ManifestTest, SettingOfTheWrongTypeIsRefused) {
  std::string e = Error(std::string(kMinimal) + "[[handler]]\ntype = \"random\"\nseed = \"forty-two\"\n");
  EXPECT_NE(e.find("handler[0].seed"), std::string::npos) << e;
  EXPECT_NE(e.find("integer"), std::string::npos) << e;
  e = Error(std::string(kMinimal) + "[[handler]]\ntype = \"filesystem\"\nallowed_commands = [\"ls\", 3]\n");
  EXPECT_NE(e.find("every element must be a string"), std::string::npos) << e;
}

TEST_F(ManifestTest, DuplicateHandlerIsRefused) {
  std::string e = Error(std::string(kMinimal) + "[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"runtime\"\n");
  EXPECT_NE(e.find("granted twice"), std::string::npos) << e;
}

TEST_F(ManifestTest, UnknownTopLevelFieldIsRefused) {
  std::string e = Error(std::string(kMinimal) + "compnent = \"x\"\n");
  EXPECT_NE(e.find("field `compnent`"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown field"), std::string::npos) << e;
}

TEST_F(ManifestTest, WrongTypesOfTopLevelFields) {
  EXPECT_NE(Error("name = 3\nversion = \"1\"\ncomponent = \"actor.wasm\"\n").find("must be a string"), std::string::npos);
  EXPECT_NE(Error(std::string(kMinimal) + "save_chain = \"yes\"\n").find("field `save_chain`"), std::string::npos);
  EXPECT_NE(Error(std::string(kMinimal) + "handler = \"runtime\"\n").find("[[handler]]"), std::string::npos);
}

TEST_F(ManifestTest, InitStateMustBeJson) {
  WriteText(dir_ / "bad.json", "{not json");
  std::string e = Error(std::string(kMinimal) + "init_state = \"bad.json\"\n");
  EXPECT_NE(e.find("field `init_state`"), std::string::npos) << e;
  EXPECT_NE(e.find("not a valid JSON"), std::string::npos) << e;
  e = Error(std::string(kMinimal) + "init_state = \"missing.json\"\n");
  EXPECT_NE(e.find("cannot be read"), std::string::npos) << e;
}

TEST_F(ManifestTest, LimitsAreChecked) {
  EXPECT_NE(Error(std::string(kMinimal) + "[limits]\nfuel = 3\n").find("limits.fuel"), std::string::npos);
  EXPECT_NE(Error(std::string(kMinimal) + "[limits]\nfuel_per_call = -3\n").find("non-negative"), std::string::npos);
}

TEST_F(ManifestTest, PermissionPolicyIsChecked) {
  std::string e = Error(std::string(kMinimal) + "[permission_policy.filesystem]\ntype = \"maybe\"\n");
  EXPECT_NE(e.find("inherit, disallow or restrict"), std::string::npos) << e;
  e = Error(std::string(kMinimal) + "[permission_policy.telepathy]\ntype = \"inherit\"\n");
  EXPECT_NE(e.find("unknown handler type"), std::string::npos) << e;
}

TEST_F(ManifestTest, MissingManifestFile) {
  auto m = LoadManifest(dir_ / "nope.toml");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("nope.toml"), std::string::npos);
}

}  // namespace
}  // namespace theater
