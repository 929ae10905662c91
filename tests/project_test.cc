// `theater new` and `theater build`: a project is written, builds with the real guest
// toolchain into a component, and runs; bad names, build files and sources get clear errors.
#include <gtest/gtest.h>

#include "project/build_project.h"
#include "project/new_project.h"
#include "test_util.h"

namespace theater::testing {
namespace {

using project::Language;

// `theater new NAME --lang LANG` then `theater build` then `theater run --request hi`
// from the CLI, in a fresh directory: the actor answers and counts.
void NewBuildRun(const std::string& lang, const std::string& final_state = "state     \"2\"") {
  TempDir dir;
  std::string name = "hello-" + lang;
  auto made = RunShell("cd " + Q(dir.path()) + " && '" + std::string(THEATER_BINARY) + "' new " + name + " --lang " +
                       lang + " 2>&1");
  ASSERT_EQ(made.exit_code, 0) << made.out;
  EXPECT_NE(made.out.find("theater build " + name), std::string::npos) << made.out;
  auto built = RunShell("cd " + Q(dir.path()) + " && '" + std::string(THEATER_BINARY) + "' build " + name + " 2>&1");
  ASSERT_EQ(built.exit_code, 0) << built.out;
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / name / (name + ".wasm"))) << built.out;
  auto ran = RunTheater("run " + Q(dir.path() / name / "manifest.toml") + " --request hi --request again",
                        dir.path() / "data");
  ASSERT_EQ(ran.exit_code, 0) << ran.out;
  EXPECT_NE(ran.out.find("log       " + name + " started as"), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("\"Hello from " + name + ": hi (request 1)\""), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find("\"Hello from " + name + ": again (request 2)\""), std::string::npos) << ran.out;
  EXPECT_NE(ran.out.find(final_state), std::string::npos) << ran.out;
}

TEST(Project, NewBuildRunInC) { NewBuildRun("c"); }
TEST(Project, NewBuildRunInCpp) { NewBuildRun("cpp"); }
TEST(Project, NewBuildRunInPython) {
  if (std::string(THEATER_PY_PROBE).empty()) GTEST_SKIP() << "componentize-py was not installed (scripts/setup.sh)";
  NewBuildRun("python", "state     \"{\\\"requests\\\":2}\"");
}
TEST(Project, NewBuildRunInJs) {
  if (std::string(THEATER_JS_PROBE).empty()) GTEST_SKIP() << "componentize-js was not installed (scripts/setup.sh)";
  NewBuildRun("js", "state     \"{\\\"requests\\\":2}\"");
}

TEST(Project, NewWritesASelfContainedProject) {
  TempDir dir;
  auto written = project::NewProject({dir.path() / "p", "p", Language::kCpp});
  ASSERT_TRUE(written.ok()) << written.error();
  for (const char* f : {"manifest.toml", "build.toml", "README.md", "src/actor.cpp", "theater/wit/worlds.wit",
                        "theater/wit/actor.wit", "theater/sdk/theater_actor.h", "theater/sdk/theater.hpp",
                        "theater/sdk/theater_exports.cpp", "theater/sdk/theater_defaults.c"})
    EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / "p" / f)) << f;
  // The copies are the files themselves, and the templates are filled in.
  EXPECT_EQ(FileText(dir.path() / "p/theater/wit/worlds.wit"), FileText(std::string(THEATER_WIT_DIR) + "/worlds.wit"));
  std::string manifest = FileText(dir.path() / "p/manifest.toml");
  EXPECT_NE(manifest.find("name = \"p\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("component = \"p.wasm\""), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find('@'), std::string::npos) << manifest;
  EXPECT_EQ(FileText(dir.path() / "p/build.toml").find('@'), std::string::npos);
}

// A JavaScript project holds the JavaScript SDK and none of C's; its manifest grants WASI,
// which the engine needs as it starts (clock, random).
TEST(Project, NewWritesAJavaScriptProjectWithItsSdk) {
  TempDir dir;
  auto written = project::NewProject({dir.path() / "j", "j", Language::kJs});
  ASSERT_TRUE(written.ok()) << written.error();
  for (const char* f : {"actor.js", "theater/sdk/theater.js", "theater/sdk/supervisor.js", "theater/wit/worlds.wit"})
    EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / "j" / f)) << f;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "j/theater/sdk/theater_actor.h"));
  EXPECT_NE(FileText(dir.path() / "j/manifest.toml").find("type = \"wasi\""), std::string::npos);
  EXPECT_NE(FileText(dir.path() / "j/build.toml").find("language = \"js\""), std::string::npos);
  EXPECT_EQ(FileText(dir.path() / "j/actor.js").find('@'), std::string::npos);
}

TEST(Project, NewRefusesBadNamesTakenDirectoriesAndLanguagesItCannotBuild) {
  TempDir dir;
  for (const char* name : {"", "9lives", "a/b", "..", "a b", "x$"}) {
    auto r = project::NewProject({dir.path() / "x", name, Language::kC});
    EXPECT_FALSE(r.ok()) << name;
  }
  EXPECT_FALSE(project::NewProject({dir.path() / "x", std::string(65, 'a'), Language::kC}).ok());
  WriteText(dir.path() / "taken/file", "mine");
  auto taken = project::NewProject({dir.path() / "taken", "taken", Language::kC});
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().find("not empty"), std::string::npos) << taken.error();
  EXPECT_EQ(FileText(dir.path() / "taken/file"), "mine");  // nothing overwritten
  EXPECT_EQ(project::ParseLanguage("c++"), Language::kCpp);
  EXPECT_EQ(project::ParseLanguage("javascript"), Language::kJs);
  EXPECT_FALSE(project::ParseLanguage("go"));
  auto go = RunShell("cd " + Q(dir.path()) + " && '" + std::string(THEATER_BINARY) + "' new g --lang go 2>&1");
  EXPECT_EQ(go.exit_code, 2) << go.out;
  EXPECT_NE(go.out.find("one of c, cpp, python, js"), std::string::npos) << go.out;
}

TEST(Project, BuildFilesAreCheckedFieldByField) {
  TempDir dir;
  auto error = [&](const std::string& text) {
    WriteText(dir.path() / "build.toml", text);
    auto r = project::ReadBuildFile(dir.path());
    return r.ok() ? std::string("accepted") : r.error();
  };
  const std::string ok = "language = \"c\"\nsources = [\"src/a.c\"]\noutput = \"a.wasm\"\n";
  EXPECT_EQ(error(ok), "accepted");
  EXPECT_NE(error(ok + "optimize = true\n").find("unknown field"), std::string::npos);
  EXPECT_NE(error("language = \"rust\"\nsources = [\"a.rs\"]\noutput = \"a.wasm\"\n").find("must be c, cpp, python or js"),
            std::string::npos);
  EXPECT_NE(error("language = \"c\"\nsources = [\"../outside.c\"]\noutput = \"a.wasm\"\n").find("not a path inside"),
            std::string::npos);
  EXPECT_NE(error("language = \"c\"\nsources = [\"/etc/passwd\"]\noutput = \"a.wasm\"\n").find("not a path inside"),
            std::string::npos);
  EXPECT_NE(error("language = \"c\"\nsources = [\"a.c\"]\noutput = \"../a.wasm\"\n").find("not a path inside"),
            std::string::npos);
  EXPECT_NE(error("language = \"c\"\nsources = \"a.c\"\noutput = \"a.wasm\"\n").find("list of paths"), std::string::npos);
  EXPECT_NE(error("language = [\n").find("invalid TOML"), std::string::npos);
  EXPECT_NE(error(ok + "world = \"$(rm -rf)\"\n").find("not a world name"), std::string::npos);
  std::filesystem::remove(dir.path() / "build.toml");
  EXPECT_NE(error("").find("language"), std::string::npos);  // an empty file
  std::filesystem::remove(dir.path() / "build.toml");
  auto none = project::ReadBuildFile(dir.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("build.toml"), std::string::npos) << none.error();
}

TEST(Project, ABuildThatFailsShowsTheCompilersMessageAndAMissingToolIsNamed) {
  TempDir dir;
  ASSERT_TRUE(project::NewProject({dir.path() / "p", "p", Language::kC}).ok());
  WriteText(dir.path() / "p/src/actor.c", "int broken( {\n");
  auto broken = RunShell("'" + std::string(THEATER_BINARY) + "' build " + Q(dir.path() / "p") + " 2>&1");
  EXPECT_EQ(broken.exit_code, 2) << broken.out;
  EXPECT_NE(broken.out.find("clang-22 failed"), std::string::npos) << broken.out;
  EXPECT_NE(broken.out.find("src/actor.c:1"), std::string::npos) << broken.out;

  // A world that worlds.wit does not have is named before any tool runs.
  std::string toml = FileText(dir.path() / "p/build.toml");
  WriteText(dir.path() / "p/build.toml", toml.replace(toml.find("message-actor"), 13, "nowhere-actor"));
  auto unknown = RunShell("'" + std::string(THEATER_BINARY) + "' build " + Q(dir.path() / "p") + " 2>&1");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("no world `nowhere-actor`"), std::string::npos) << unknown.out;
  WriteText(dir.path() / "p/build.toml", toml.replace(toml.find("nowhere-actor"), 13, "message-actor"));

  // With no tools on PATH and no ~/.cargo/bin, the first missing one is named, with how to get it.
  auto missing = RunShell("PATH=/nonexistent HOME=" + Q(dir.path()) + " '" + std::string(THEATER_BINARY) +
                          "' build " + Q(dir.path() / "p") + " 2>&1");
  EXPECT_EQ(missing.exit_code, 2) << missing.out;
  EXPECT_NE(missing.out.find("`wit-bindgen` was not found"), std::string::npos) << missing.out;
  EXPECT_NE(missing.out.find("cargo install"), std::string::npos) << missing.out;

  // The same for JavaScript: componentize-js is named, with how to get it.
  ASSERT_TRUE(project::NewProject({dir.path() / "j", "j", Language::kJs}).ok());
  auto no_js = RunShell("PATH=/nonexistent HOME=" + Q(dir.path()) + " THEATER_CACHE= '" + std::string(THEATER_BINARY) +
                        "' build " + Q(dir.path() / "j") + " 2>&1");
  EXPECT_EQ(no_js.exit_code, 2) << no_js.out;
  EXPECT_NE(no_js.out.find("`componentize-js` was not found"), std::string::npos) << no_js.out;
  EXPECT_NE(no_js.out.find("setup.sh"), std::string::npos) << no_js.out;
}

// A JavaScript syntax error is shown with its file and line, and nothing is written.
TEST(Project, AJavaScriptBuildThatFailsShowsWhereTheSourceIsWrong) {
  if (std::string(THEATER_JS_PROBE).empty()) GTEST_SKIP() << "componentize-js was not installed (scripts/setup.sh)";
  TempDir dir;
  ASSERT_TRUE(project::NewProject({dir.path() / "j", "j", Language::kJs}).ok());
  WriteText(dir.path() / "j/actor.js", "import * as theater from './theater/sdk/theater.js';\nexport const actor = {\n");
  auto broken = RunShell("'" + std::string(THEATER_BINARY) + "' build " + Q(dir.path() / "j") + " 2>&1");
  EXPECT_EQ(broken.exit_code, 2) << broken.out;
  EXPECT_NE(broken.out.find("componentize-js failed"), std::string::npos) << broken.out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "j/j.wasm")) << broken.out;
}

}  // namespace
}  // namespace theater::testing
