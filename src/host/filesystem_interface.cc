#include "host/filesystem_interface.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "host/filesystem_command.h"
#include "host/filesystem_paths.h"
#include "runtime/host_services.h"
#include "runtime/host_binding.h"

namespace theater::host {
namespace {

using fs::ConfinedDir;
using fs::PathError;
using fs::Shown;
using fs::UniqueFd;
using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

constexpr char kFilesystem[] = "theater:simple/filesystem";
// 64 MiB, as large as a snapshot: the bytes cross the sandbox in bulk (engine/slots.h)
// and a read's result is recorded by reference, once per content, in the snapshot file
// (common/cbor_writer.h). The actor's own memory limit (64 MiB by default) bounds it too.
constexpr uint64_t kDefaultMaxFileBytes = 64ull << 20;
constexpr uint64_t kDefaultCommandTimeoutMs = 10'000;
constexpr uint64_t kDefaultMaxOutputBytes = 1ull << 20;
constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";

// What the filesystem keeps per actor: its directory, opened once, and its commands.
struct FilesystemState {
  std::optional<ConfinedDir> root;
  fs::CommandRunner commands;  // destroyed first: kills what still runs
};

const nlohmann::json& SettingsOf(const ActorContext& actor) {
  static const nlohmann::json kNone = nlohmann::json::object();
  const nlohmann::json* s = actor.permissions().Settings("filesystem");
  return s ? *s : kNone;
}

uint64_t Limit(const ActorContext& actor, const char* key, uint64_t fallback) {
  return SettingsOf(actor).value(key, fallback);
}

Out Answer(Value v) { return std::optional<Value>(std::move(v)); }
Out Err(const std::string& why) { return Answer(Value::Err(Value::String(why))); }
Out Refuse(ActorContext& actor, const std::string& why) {
  actor.Deny(why);
  return Err(why);
}
Out Fail(ActorContext& actor, const PathError& e) { return e.denied ? Refuse(actor, e.message) : Err(e.message); }

// Where private directories go: the system's data directory, or (a system without one,
// as in tests) a temporary directory of this process.
std::filesystem::path DataDir(ActorContext& actor) {
  if (actor.has_system() && !actor.services().data_dir().empty()) return actor.services().data_dir();
  static const std::filesystem::path fallback = [] {
    std::error_code ec;
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "theater-data-XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    return made ? std::filesystem::path(made) : std::filesystem::path();
  }();
  return fallback;
}

Result<std::filesystem::path> PrivateDir(ActorContext& actor) {
  const std::string& id = actor.id();
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos)
    return Status::Error("actor id `" + id + "` cannot name a private directory");
  std::filesystem::path data = DataDir(actor);
  if (data.empty()) return Status::Error("no data directory for the actor's private directory");
  std::filesystem::path dir = data / "actors" / id / "files";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error("cannot create the actor's private directory `" + dir.string() + "`: " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);  // the actor's, not other users'
  return dir;
}

// The actor's directory, opened on first use. A directory that cannot be opened is tried
// again on the next call (it may have been created meanwhile).
Result<const ConfinedDir*> Root(ActorContext& actor) {
  FilesystemState& state = actor.HostState<FilesystemState>("filesystem");
  if (state.root) return &*state.root;
  const nlohmann::json& s = SettingsOf(actor);
  bool new_dir = s.value("new_dir", false);
  bool has_path = s.contains("path");
  if (new_dir && has_path)
    return Status::Error("the filesystem handler has both `path` and `new_dir = true`; the manifest must choose one");
  if (!new_dir && !has_path)
    return Status::Error("the filesystem handler grants no directory: the manifest sets neither `path` nor `new_dir = true`");
  std::filesystem::path dir;
  if (new_dir) {
    auto made = PrivateDir(actor);
    if (!made.ok()) return made.status();
    dir = *made;
  } else {
    dir = s["path"].get<std::string>();
  }
  auto opened = ConfinedDir::Open(dir);
  if (!opened.ok()) return opened.status();
  state.root.emplace(std::move(*opened));
  return &*state.root;
}

// Reads all of a regular file, refusing one larger than `max` (even if it grows as it is read).
Out ReadFileFn(ActorContext& actor, Args& args) {
  const std::string& path = args.at(0).as_string();
  auto root = Root(actor);
  if (!root.ok()) return Err(root.error());
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  auto fd = (*root)->OpenBeneath(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!fd.ok()) return Fail(actor, fd.error());
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return Fail(actor, fs::ErrnoError(path, "read", errno));
  if (!S_ISREG(st.st_mode)) return Err("path `" + Shown(path) + "` is not a regular file");
  uint64_t max = Limit(actor, "max_file_bytes", kDefaultMaxFileBytes);
  auto too_large = [&](uint64_t size) {
    return Refuse(actor, "path `" + Shown(path) + "` is " + std::to_string(size) +
                             " bytes, more than max_file_bytes (" + std::to_string(max) + ")");
  };
  if (static_cast<uint64_t>(st.st_size) > max) return too_large(st.st_size);
  Bytes data;
  data.reserve(st.st_size);
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(actor, fs::ErrnoError(path, "read", errno));
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
    if (data.size() > max) return too_large(data.size());
  }
  return Answer(Value::Ok(Value::BytesValue(std::move(data))));
}

Out WriteFileFn(ActorContext& actor, Args& args) {
  const std::string& path = args.at(0).as_string();
  const std::string& content = args.at(1).as_string();
  uint64_t max = Limit(actor, "max_file_bytes", kDefaultMaxFileBytes);
  if (content.size() > max)
    return Refuse(actor, "writing " + std::to_string(content.size()) + " bytes to `" + Shown(path) +
                             "` is more than max_file_bytes (" + std::to_string(max) + ")");
  auto root = Root(actor);
  if (!root.ok()) return Err(root.error());
  auto fd = (*root)->OpenBeneath(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOCTTY, 0644);
  if (!fd.ok()) return Fail(actor, fd.error());
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return Fail(actor, fs::ErrnoError(path, "write", errno));
  if (!S_ISREG(st.st_mode)) return Err("path `" + Shown(path) + "` is not a regular file");
  for (size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd->get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(actor, fs::ErrnoError(path, "write", errno));
    done += static_cast<size_t>(n);
  }
  return Answer(Value::Ok());
}

// The names in a directory, sorted (so the same directory lists the same way). Names
// that are not UTF-8 are shown with U+FFFD in place of their invalid bytes.
Out ListFilesFn(ActorContext& actor, Args& args) {
  const std::string& path = args.at(0).as_string();
  auto root = Root(actor);
  if (!root.ok()) return Err(root.error());
  auto fd = (*root)->OpenBeneath(path, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return Fail(actor, fd.error());
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(fd->get()), ::closedir);
  if (!dir) return Fail(actor, fs::ErrnoError(path, "list", errno));
  fd->release();  // the DIR owns it now
  uint64_t max = Limit(actor, "max_file_bytes", kDefaultMaxFileBytes), total = 0;
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir.get())) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(ToValidUtf8(name));
    total += names.back().size();
    if (total > max)
      return Refuse(actor, "the names in `" + Shown(path) + "` come to more than max_file_bytes (" +
                               std::to_string(max) + " bytes)");
  }
  std::sort(names.begin(), names.end());
  ValueList items;
  for (auto& name : names) items.push_back(Value::String(std::move(name)));
  return Answer(Value::Ok(Value::List(std::move(items))));
}

Out DeleteFileFn(ActorContext& actor, Args& args) {
  const std::string& path = args.at(0).as_string();
  auto root = Root(actor);
  if (!root.ok()) return Err(root.error());
  auto at = (*root)->OpenParent(path);
  if (!at.ok()) return Fail(actor, at.error());
  // unlinkat never follows a symbolic link: deleting one deletes the link, not its target.
  if (::unlinkat(at->parent.get(), at->name.c_str(), 0) != 0) {
    if (errno == EISDIR) return Err("path `" + Shown(path) + "` is a directory (delete-dir deletes directories)");
    return Fail(actor, fs::ErrnoError(path, "delete", errno));
  }
  return Answer(Value::Ok());
}

// Creates `path` and whatever of its parents is missing (an existing directory is fine).
Out CreateDirFn(ActorContext& actor, Args& args) {
  const std::string& path = args.at(0).as_string();
  auto root = Root(actor);
  if (!root.ok()) return Err(root.error());
  if (auto why = fs::CheckPathText(path)) return Refuse(actor, *why);
  // One component at a time, each resolved beneath the root afresh.
  for (size_t end = 0; end != std::string::npos;) {
    end = path.find('/', end + 1);
    std::string prefix = path.substr(0, end);
    std::string_view last = std::string_view(prefix).substr(prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/') + 1);
    if (last.empty() || last == ".") continue;
    auto at = (*root)->OpenParent(prefix);
    if (!at.ok()) return Fail(actor, at.error());
    if (::mkdirat(at->parent.get(), at->name.c_str(), 0755) != 0 && errno != EEXIST)
      return Fail(actor, fs::ErrnoError(prefix, "create", errno));
  }
  auto made = (*root)->OpenBeneath(path, O_PATH | O_DIRECTORY);
  if (!made.ok()) {
    if (made.error().err == ENOTDIR) return Err("path `" + Shown(path) + "` exists and is not a directory");
    return Fail(actor, made.error());
  }
  return Answer(Value::Ok());
}

// The names in the directory `fd` (without . and ..); fd stays open.
Result<std::vector<std::string>> EntryNames(int fd) {
  int copy = ::dup(fd);  // fdopendir takes the descriptor it is given
  if (copy < 0) return Status::Error(std::strerror(errno));
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::fdopendir(copy), ::closedir);
  if (!listing) {
    int err = errno;
    ::close(copy);
    return Status::Error(std::strerror(err));
  }
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(listing.get())) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  return names;
}

// Removes the directory `path` and everything in it. Nothing is followed: a symbolic
// link is removed as a file. Each level is opened afresh beneath the root, so a deep tree
// holds no descriptor per level (the paths stay within PATH_MAX: the actor can make no
// deeper tree).
std::optional<PathError> RemoveTree(const ConfinedDir& root, const std::string& path) {
  std::string name;
  {
    auto at = root.OpenParent(path);
    if (!at.ok()) return at.error();
    if (::unlinkat(at->parent.get(), at->name.c_str(), AT_REMOVEDIR) == 0) return std::nullopt;
    if (errno != ENOTEMPTY && errno != EEXIST) return fs::ErrnoError(path, "delete", errno);
  }
  std::vector<std::string> subdirs;
  {
    auto dir = root.OpenBeneath(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!dir.ok()) return dir.error();
    auto names = EntryNames(dir->get());
    if (!names.ok()) return PathError{"cannot delete path `" + Shown(path) + "`: " + names.error()};
    for (const auto& entry : *names) {
      struct stat st;
      if (::fstatat(dir->get(), entry.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;
        return fs::ErrnoError(path + "/" + entry, "delete", errno);
      }
      if (S_ISDIR(st.st_mode)) subdirs.push_back(entry);
      else if (::unlinkat(dir->get(), entry.c_str(), 0) != 0 && errno != ENOENT)
        return fs::ErrnoError(path + "/" + entry, "delete", errno);
    }
  }
  for (const auto& sub : subdirs)
    if (auto failed = RemoveTree(root, path + "/" + sub)) return failed;
  auto at = root.OpenParent(path);
  if (!at.ok()) return at.error();
  if (::unlinkat(at->parent.get(), at->name.c_str(), AT_REMOVEDIR) != 0) return fs::ErrnoError(path, "delete", errno);
  return std::nullopt;
}

// Deletes a directory and everything in it.
Out DeleteDirFn(ActorContext& actor, Args& args) {
  const std::string& path = args.at(0).as_string();
  auto root = Root(actor);
  if (!root.ok()) return Err(root.error());
  if (!fs::CheckPathText(path) && fs::NamesRoot(path))
    return Refuse(actor, "path `" + Shown(path) + "` is the actor's directory itself, which may not be deleted");
  auto failed = RemoveTree(**root, path);
  if (!failed) return Answer(Value::Ok());
  if (failed->err == ENOTDIR && !failed->denied)
    return Err("path `" + Shown(path) + "` is not a directory (delete-file deletes files)");
  return Fail(actor, *failed);
}

Out PathExistsFn(ActorContext& actor, Args& args) {
  const std::string& path = args.at(0).as_string();
  auto root = Root(actor);
  if (!root.ok()) return Err(root.error());
  auto fd = (*root)->OpenBeneath(path, O_PATH);
  if (fd.ok()) return Answer(Value::Ok(Value(true)));
  if (fd.error().err == ENOENT || fd.error().err == ENOTDIR) return Answer(Value::Ok(Value(false)));
  return Fail(actor, fd.error());
}


bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

// execute-command: the checks answer at once (recorded with the answer, a refusal as
// denied); an allowed command is recorded, then runs on its own thread while the actor
// waits without holding a worker, and its result is recorded as ".../done".
Result<HostReturn> ExecuteCommandFn(ActorContext& actor, Args& args) {
  const std::string type = std::string(kFilesystem) + "/execute-command";
  const std::string& dir = args.at(0).as_string();
  const std::string& command = args.at(1).as_string();
  ordered_json recorded_args = ValuesToJson(args);
  auto now = [&](Value v, std::optional<std::string> denied = std::nullopt) -> Result<HostReturn> {
    ordered_json data = {{"args", recorded_args}, {"result", ValueToJson(v)}};
    if (denied) data["denied"] = *denied;
    auto recorded = actor.Record(type, data);
    if (!recorded.ok()) return Status::Error("could not record the call: " + recorded.error());
    return HostReturn::Now(std::move(v));
  };
  auto refuse = [&](const std::string& why) { return now(Value::Err(Value::String(why)), why); };

  std::vector<std::string> argv = {command};
  for (const Value& a : args.at(2).items()) argv.push_back(a.as_string());
  for (size_t i = 0; i < argv.size(); ++i)
    if (HasNul(argv[i]))
      return refuse((i == 0 ? "command `" : "argument " + std::to_string(i) + " `") + Shown(argv[i]) +
                    "` contains a NUL byte");
  const nlohmann::json& settings = SettingsOf(actor);
  nlohmann::json allowed = settings.value("allowed_commands", nlohmann::json::array());
  // Exact names only: "ls" does not allow "/bin/ls", nor "/bin/ls" "ls".
  if (std::find(allowed.begin(), allowed.end(), command) == allowed.end())
    return refuse("command `" + Shown(command) + "` is not on allowed_commands");
  auto root = Root(actor);
  if (!root.ok()) return now(Value::Err(Value::String(root.error())));
  auto cwd = (*root)->OpenBeneath(dir, O_PATH | O_DIRECTORY);
  if (!cwd.ok()) {
    if (cwd.error().denied) return refuse(cwd.error().message);
    return now(Value::Err(Value::String(cwd.error().message)));
  }

  fs::CommandSpec spec;
  const char* host_path = std::getenv("PATH");
  spec.path_env = host_path && *host_path ? host_path : kDefaultPath;
  if (command.find('/') != std::string::npos) {
    spec.program = command;  // listed exactly as it is; a relative one is relative to `dir`
  } else if (auto found = fs::FindOnPath(command, spec.path_env)) {
    spec.program = *found;
  } else {
    return now(Value::Err(Value::String("command `" + command + "` is not found on PATH (" + spec.path_env + ")")));
  }
  spec.argv = std::move(argv);
  spec.cwd = std::move(*cwd);
  // The wait is part of the export call that made it: by default the command times out
  // well before that call's own deadline would end it, so the actor gets the answer.
  uint64_t call_timeout = actor.manifest().limits.call_timeout_ms;
  uint64_t default_timeout = call_timeout ? std::min(kDefaultCommandTimeoutMs, call_timeout * 3 / 4) : kDefaultCommandTimeoutMs;
  spec.timeout_ms = Limit(actor, "command_timeout_ms", default_timeout);
  spec.max_output_bytes = Limit(actor, "max_output_bytes", kDefaultMaxOutputBytes);

  auto call = std::make_shared<AwaitedCall>(type, ordered_json{{"command", command}});
  auto recorded = actor.Record(type, {{"args", recorded_args}});
  if (!recorded.ok()) return Status::Error("could not record the call: " + recorded.error());
  // The command is an effect on the world: it starts only once its call is durable.
  if (!actor.ReleaseEffects()) return Status::Error("could not write the call's event out; the command was not run");
  actor.Await(call);
  actor.HostState<FilesystemState>("filesystem").commands.Start(
      std::move(spec), [call](Value result) {
        ordered_json shown = ValueToJson(result);
        call->Complete(std::move(result), std::move(shown), std::nullopt);
      });
  return HostReturn::Later(call->op());
}
}  // namespace

Status DefineFilesystemInterface(Engine& engine) {
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kFilesystem, "read-file", "func(string) -> result<list<u8>, string>", ReadFileFn));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kFilesystem, "write-file", "func(string, string) -> result<_, string>", WriteFileFn));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(engine, kFilesystem, "list-files",
                                              "func(string) -> result<list<string>, string>", ListFilesFn));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kFilesystem, "delete-file", "func(string) -> result<_, string>", DeleteFileFn));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kFilesystem, "create-dir", "func(string) -> result<_, string>", CreateDirFn));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kFilesystem, "delete-dir", "func(string) -> result<_, string>", DeleteDirFn));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kFilesystem, "path-exists", "func(string) -> result<bool, string>", PathExistsFn));
  return DefineAsyncActorFunction(engine, kFilesystem, "execute-command",
                                  "func(string, string, list<string>) -> result<variant{success(record{stdout: string, "
                                  "stderr: string, exit-code: s32}), error(record{message: string})}, string>",
                                  ExecuteCommandFn);
}

}  // namespace theater::host
