#include "host/process_interface.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <signal.h>

#include "host/process_env.h"
#include "host/process_spawn.h"
#include "host/process_table.h"
#include "runtime/host_services.h"
#include "runtime/host_binding.h"

namespace theater::host {
namespace {

constexpr char kProcess[] = "theater:simple/process";
constexpr uint64_t kDefaultMaxProcesses = 4;
constexpr uint64_t kDefaultMaxOutputBuffer = 1024 * 1024;
constexpr size_t kMaxArgs = 1024, kMaxEnv = 1024, kMaxArgBytes = 128 * 1024;
constexpr size_t kMaxReadSize = 64 * 1024;
constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr char kOutputMode[] = "variant{raw, line-by-line, json, chunked}";

using Args = std::vector<Value>;

const Value& Field(const Value& record, const std::string& name) {
  for (const auto& f : record.fields())
    if (f.name == name) return f.value;
  std::abort();  // the engine checked the record's type
}

Value Err(ActorContext& actor, const std::string& why, bool denied = false) {
  if (denied) actor.Deny(why);
  return Value::Err(Value::String(why));
}

// Per actor: its processes by the number the actor knows them by. Destroying it (the actor
// finished) kills every process group and reaps it.
struct ProcessTable {
  uint64_t next_id = 1;
  std::map<uint64_t, std::unique_ptr<Process>> processes;

  size_t Running() const {
    size_t n = 0;
    for (const auto& [id, p] : processes) n += p->running();
    return n;
  }
  // Exited processes stay for os-status, up to a point.
  void ForgetOldExited() {
    for (auto it = processes.begin(); it != processes.end() && processes.size() > 256;)
      it = it->second->running() ? std::next(it) : processes.erase(it);
  }
};

OutputMode ModeOf(const Value& v) {
  const std::string& name = v.case_name();
  if (name == "line-by-line") return OutputMode::kLines;
  if (name == "json") return OutputMode::kJson;
  if (name == "chunked") return OutputMode::kChunked;
  return OutputMode::kRaw;
}

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

// `dir` (resolved) inside one of the allowed paths (resolved)?
bool InsideAllowed(const std::filesystem::path& dir, const std::vector<std::string>& allowed) {
  for (const auto& a : allowed) {
    char resolved[PATH_MAX];
    if (!realpath(a.c_str(), resolved)) continue;
    std::string root = resolved, d = dir.string();
    if (d == root || (d.size() > root.size() && d.compare(0, root.size(), root) == 0 &&
                      (root.back() == '/' || d[root.size()] == '/')))
      return true;
  }
  return false;
}

Result<std::optional<Value>> Spawn(ActorContext& actor, Args& args) {
  const nlohmann::json* settings = actor.permissions().Settings("process");
  auto list = [&](const char* key) {
    return settings && settings->contains(key) ? (*settings)[key].get<std::vector<std::string>>() : std::vector<std::string>{};
  };
  std::vector<std::string> programs = list("allowed_programs"), paths = list("allowed_paths"),
                           env_allowed = list("allowed_env");
  uint64_t max_processes = settings ? settings->value("max_processes", kDefaultMaxProcesses) : kDefaultMaxProcesses;
  uint64_t max_output = settings ? settings->value("max_output_buffer", kDefaultMaxOutputBuffer) : kDefaultMaxOutputBuffer;
  const Value& config = args.at(0);
  ProcessSpec spec;
  spec.program = Field(config, "program").as_string();
  size_t bytes = spec.program.size();
  for (const auto& a : Field(config, "args").items()) {
    spec.args.push_back(a.as_string());
    bytes += a.as_string().size();
  }
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& e : Field(config, "env").items()) {
    env.emplace_back(e.items()[0].as_string(), e.items()[1].as_string());
    bytes += e.items()[0].as_string().size() + e.items()[1].as_string().size();
  }
  auto refuse = [&](const std::string& why, bool denied = false) { return std::optional<Value>(Err(actor, why, denied)); };
  if (std::find(programs.begin(), programs.end(), spec.program) == programs.end())
    return refuse("program `" + spec.program + "` is not in allowed_programs", true);
  if (spec.args.size() > kMaxArgs || env.size() > kMaxEnv || bytes > kMaxArgBytes)
    return refuse("too many or too long arguments or environment variables");
  for (const auto& a : spec.args)
    if (HasNul(a)) return refuse("an argument contains a NUL byte");
  // Only names the manifest allows, and never the loader's or the shells' (LD_PRELOAD...),
  // whatever it says.
  auto checked = CheckEnvironment(env, env_allowed, "allowed_env");
  if (!checked.ok()) return refuse(checked.error(), true);
  spec.env = std::move(*checked);
  // Looked up in the host's PATH (absolute entries only), not in the one the actor gives.
  if (spec.program.find('/') != std::string::npos) {
    spec.path = spec.program;
  } else {
    const char* host_path = std::getenv("PATH");
    std::string path_env = host_path && *host_path ? host_path : kDefaultPath;
    auto found = FindOnPath(spec.program, path_env);
    if (!found) return refuse("could not start `" + spec.program + "`: not found on PATH (" + path_env + ")");
    spec.path = *found;
  }
  const Value& cwd = Field(config, "cwd");
  if (cwd.has_payload()) {
    char resolved[PATH_MAX];
    const std::string& asked = cwd.payload().as_string();
    if (HasNul(asked) || !realpath(asked.c_str(), resolved)) return refuse("cwd `" + asked + "` does not exist");
    if (!InsideAllowed(resolved, paths)) return refuse("cwd `" + asked + "` is not inside allowed_paths", true);
    spec.cwd = resolved;
  }
  uint32_t buffer_size = static_cast<uint32_t>(Field(config, "buffer-size").as_unsigned());
  spec.read_size = buffer_size == 0 ? 4096 : std::min<size_t>(buffer_size, kMaxReadSize);
  const Value& chunk = Field(config, "chunk-size");
  spec.chunk_size = chunk.has_payload() && chunk.payload().as_unsigned() > 0 ? chunk.payload().as_unsigned() : 4096;
  spec.chunk_size = std::min<size_t>(spec.chunk_size, max_output);
  spec.stdout_mode = ModeOf(Field(config, "stdout-mode"));
  spec.stderr_mode = ModeOf(Field(config, "stderr-mode"));
  const Value& timeout = Field(config, "execution-timeout");
  if (timeout.has_payload()) spec.timeout_ms = timeout.payload().as_unsigned();
  spec.max_output_buffer = max_output;

  auto& table = actor.HostState<ProcessTable>("process");
  if (table.Running() >= max_processes)
    return refuse("already running max_processes (" + std::to_string(max_processes) + ") processes", true);
  table.ForgetOldExited();
  uint64_t id = table.next_id;
  auto process = Process::Start(id, std::move(spec), &actor.services(), actor.id());
  if (!process.ok()) return refuse(process.error());
  ++table.next_id;
  table.processes.emplace(id, std::move(*process));
  return std::optional<Value>(Value::Ok(Value::U64(id)));
}

// The actor's process `id`, or the answer saying there is none.
Process* Find(ActorContext& actor, uint64_t id, std::optional<Value>& missing) {
  auto& table = actor.HostState<ProcessTable>("process");
  auto it = table.processes.find(id);
  if (it != table.processes.end()) return it->second.get();
  missing = Err(actor, "this actor has started no process " + std::to_string(id), true);
  return nullptr;
}

Result<std::optional<Value>> WriteStdin(ActorContext& actor, Args& args) {
  std::optional<Value> missing;
  Process* p = Find(actor, args.at(0).as_unsigned(), missing);
  if (!p) return missing;
  auto n = p->WriteStdin(args.at(1).as_bytes());
  if (!n.ok()) return std::optional<Value>(Err(actor, n.error()));
  return std::optional<Value>(Value::Ok(Value::U32(*n)));
}

Result<std::optional<Value>> StatusOf(ActorContext& actor, Args& args) {
  std::optional<Value> missing;
  uint64_t id = args.at(0).as_unsigned();
  Process* p = Find(actor, id, missing);
  if (!p) return missing;
  auto code = p->exit_code();
  return std::optional<Value>(Value::Ok(Value::Record({{"pid", Value::U64(id)},
                                                       {"running", Value(!code.has_value())},
                                                       {"exit-code", code ? Value::Some(Value::S32(*code)) : Value::None()},
                                                       {"start-time", Value::U64(p->start_ms())}})));
}

Result<std::optional<Value>> SignalProcess(ActorContext& actor, uint64_t id, uint64_t signal) {
  std::optional<Value> missing;
  Process* p = Find(actor, id, missing);
  if (!p) return missing;
  if (signal < 1 || signal > 31) return std::optional<Value>(Err(actor, "signal " + std::to_string(signal) + " is not 1..31"));
  auto sent = p->Signal(static_cast<int>(signal));
  if (!sent.ok()) return std::optional<Value>(Err(actor, sent.message()));
  return std::optional<Value>(Value::Ok());
}

}  // namespace

Status DefineProcessInterface(Engine& engine) {
  std::string config = std::string(
                           "record{program: string, args: list<string>, cwd: option<string>, env: list<tuple<string, "
                           "string>>, buffer-size: u32, stdout-mode: ") +
                       kOutputMode + ", stderr-mode: " + kOutputMode +
                       ", chunk-size: option<u32>, execution-timeout: option<u64>}";
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kProcess, "os-spawn", "func(" + config + ") -> result<u64, string>", Spawn));
  THEATER_RETURN_IF_ERROR(
      DefineActorFunction(engine, kProcess, "os-write-stdin", "func(u64, list<u8>) -> result<u32, string>", WriteStdin));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, kProcess, "os-status",
      "func(u64) -> result<record{pid: u64, running: bool, exit-code: option<s32>, start-time: u64}, string>", StatusOf));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(engine, kProcess, "os-signal", "func(u64, u32) -> result<_, string>",
                                              [](ActorContext& a, Args& args) {
                                                return SignalProcess(a, args.at(0).as_unsigned(), args.at(1).as_unsigned());
                                              }));
  return DefineActorFunction(engine, kProcess, "os-kill", "func(u64) -> result<_, string>",
                             [](ActorContext& a, Args& args) { return SignalProcess(a, args.at(0).as_unsigned(), SIGKILL); });
}

}  // namespace theater::host
