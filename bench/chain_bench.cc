// Benchmarks of the chain, each against a baseline measured in the same run:
//   append  recording events the way an actor does (ActorContext::Record: JSON -> CBOR,
//           canonical encoding, SHA-256, ChainStore sink, one Flush per turn to a real file)
//           against SHA-256 of the same encodings plus one write() per turn (the floor);
//   verify  VerifyChainBytes / VerifyChainFile over >= 1,000,000 events against SHA-256 of
//           the same encodings alone (the floor of any verifier);
//   replay  Replay() of real chains (a messenger actor sending to the kv example) against
//           the original run through an ActorSystem.
// Prints one line per measurement with the ratio to its baseline (median of the rounds);
// append and verify lines also give the calling thread's CPU time, which moves less than
// wall-clock time when other processes share the cores.
//
//   theater_chain_bench [--quick] [--only append|verify|replay]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "bench_util.h"
#include "chain/chain_file.h"
#include "common/files.h"
#include "common/uuid.h"
#include "host/host_interfaces.h"
#include "runtime/actor_context.h"
#include "runtime/actor_system.h"
#include "runtime/envelope.h"
#include "runtime/replay.h"
#include "runtime/value_json.h"
#include "storage/chain_store.h"

using namespace theater;
using Clock = std::chrono::steady_clock;

namespace {

using bench::Median;

bool quick = false;
std::filesystem::path root;  // the temp dir of this run, removed at the end
int rounds = 5;  // every measurement is a median of this many rounds (3 with --quick)
constexpr double kNoBar = NAN;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// Wall-clock time, and the CPU time of the calling thread: on a shared machine the second
// shows what the work itself costs while other processes take turns on the cores.
struct Times {
  double wall = 0, cpu = 0;
};

double ThreadCpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Stopwatch {
  Clock::time_point wall = Clock::now();
  double cpu = ThreadCpu();
  Times Stop() const { return {Seconds(wall), ThreadCpu() - cpu}; }
};

Times Median(const std::vector<Times>& v) {
  std::vector<double> wall, cpu;
  for (const Times& t : v) wall.push_back(t.wall), cpu.push_back(t.cpu);
  return {Median(wall), Median(cpu)};
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "theater_chain_bench: %s\n", why.c_str());
  std::error_code ec;
  if (!root.empty()) std::filesystem::remove_all(root, ec);
  std::_Exit(1);  // not exit(): other threads (workers, the chain writer) may still run
}

// One result line, as theater_bench prints them; `bar` NaN means no bar for this line. The
// same measurement in thread CPU time, when given, follows on the line.
void Report(const std::string& what, const char* unit, double value, double baseline, double bar,
            bool lower_is_better, double cpu = NAN, double cpu_baseline = NAN) {
  auto num = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, x >= 1000 ? "%.0f" : x >= 10 ? "%.1f" : "%.3f", x);
    return std::string(buf);
  };
  std::string verdict = "";
  if (!std::isnan(bar)) {
    bool met = lower_is_better ? value <= bar : value >= bar;
    verdict = std::string("bar ") + (lower_is_better ? "<= " : ">= ") + num(bar) + (met ? " MET" : " NOT MET");
  }
  std::string cpu_part;
  if (!std::isnan(cpu))
    cpu_part = "  | cpu " + num(cpu) + " baseline " + num(cpu_baseline) + " ratio " + num(cpu / cpu_baseline);
  std::printf("%-56s %9s %-5s baseline %9s  ratio %5.2f  %s%s\n", what.c_str(), num(value).c_str(), unit,
              num(baseline).c_str(), baseline > 0 ? value / baseline : 0.0, verdict.c_str(), cpu_part.c_str());
  std::fflush(stdout);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// --- Realistic events ----------------------------------------------------------------------
// One turn as the runtime records it: an actor answers a request from another actor, logs
// a line and sends a message on. Its inputs are component values, as the engine hands them
// over; the timed part builds each event's data from them exactly as the runtime does
// (actor.cc BeginTurn/FinishTurn, host_binding.cc, messaging.cc). The data has the shapes
// and sizes of real events (the kv example's are 32-383 bytes): here 44-260, 152 on average.
constexpr int kEventsPerTurn = 4;
constexpr char kHandleRequest[] = "theater:simple/message-server-client#handle-request";
constexpr const char* kTypes[kEventsPerTurn] = {"wasm/call", "theater:simple/runtime/log",
                                                "theater:simple/message-server-host/send", "wasm/result"};

struct TurnInputs {
  ValueList params, log_args, results;
  Cause cause;
  std::string send_to;
  Bytes message;
  std::optional<Bytes> state;
};

// A pool of distinct turns (ids, keys, counters), made once: turn t uses inputs[t % size].
const std::vector<TurnInputs>& Inputs() {
  static const std::vector<TurnInputs> inputs = [] {
    std::vector<TurnInputs> all(1024);
    std::string owner = NewUuidV4();
    for (size_t t = 0; t < all.size(); ++t) {
      std::string n = std::to_string(t), key = "key-" + std::to_string(t % 100);
      TurnInputs& in = all[t];
      in.params = {Value::String(NewUuidV4()), Value::BytesValue(ToBytes("set " + key + " value-" + n))};
      in.cause = {NewUuidV4(), Sha256(n)};
      in.log_args = {Value::String("set " + key + " -> ok (request " + n + ")")};
      in.send_to = NewUuidV4();
      in.message = ToBytes("{\"changed\":\"" + key + "\",\"by\":" + n + "}");
      in.state = ToBytes("config=production\nowner=" + owner + "\nlast=" + key + "\ncount=" + n +
                         "\nnote=state of a small actor, a few fields as text\n");
      in.results = {Value::Some(Value::BytesValue(ToBytes("ok")))};
    }
    return all;
  }();
  return inputs;
}

// The data of the turn's four events, built the way the runtime builds them.
std::array<ordered_json, kEventsPerTurn> TurnData(const TurnInputs& in) {
  ordered_json call = {{"function", kHandleRequest}, {"params", ValuesToJson(in.params)}};
  call["cause"] = in.cause.ToJson();
  ordered_json log = {{"args", ValuesToJson(in.log_args)}};
  log["result"] = nullptr;
  ordered_json send = {{"args", {in.send_to, BytesToJson(in.message)}}, {"result", {{"ok", nullptr}}}};
  ordered_json result = {{"function", kHandleRequest},
                         {"state", OptionalBytesToJson(in.state)},
                         {"results", ValuesToJson(in.results)}};
  return {std::move(call), std::move(log), std::move(send), std::move(result)};
}

// The chain-file record of an event: length, canonical encoding, hash.
void PutRecord(Bytes& out, std::span<const uint8_t> encoding, const Hash& hash) {
  uint32_t len = static_cast<uint32_t>(encoding.size() + hash.size());
  uint8_t prefix[4] = {uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)};
  out.insert(out.end(), prefix, prefix + 4);
  out.insert(out.end(), encoding.begin(), encoding.end());
  out.insert(out.end(), hash.begin(), hash.end());
}

// --- 1. Append -------------------------------------------------------------------------
// What an actor pays per turn: ActorContext::Record for each event (the same ActorContext
// the runtime uses, wired to a ChainStore sink the way Actor's constructor wires it), then
// the effect of the turn leaves through Defer/ReleaseEffects, which flushes the sink.
// `cbor` given: RecordRaw with the data already encoded (the chain's share alone).
Times TheaterTurns(ChainStore& store, const std::string& actor_id, int turns, std::vector<ChainEvent>* events,
                    const std::vector<Bytes>* cbor = nullptr) {
  ActorContext context(nullptr, actor_id, Manifest{}, Permissions{}, nullptr);
  auto sink = store.Open(actor_id);
  ChainStore::Sink* raw = sink.get();
  context.set_chain_sink([raw](const ChainEvent& e, std::span<const uint8_t> encoding) {
    raw->Append(e, encoding);
    return Status::Ok();
  });
  context.set_flush([&store, raw] { return store.Flush(*raw); });
  const std::vector<TurnInputs>& inputs = Inputs();
  Stopwatch clock;
  for (int t = 0; t < turns; ++t) {
    if (cbor) {
      for (int k = 0; k < kEventsPerTurn; ++k) context.RecordRaw(kTypes[k], (*cbor)[t * kEventsPerTurn + k]);
    } else {
      auto data = TurnData(inputs[t % inputs.size()]);
      for (int k = 0; k < kEventsPerTurn; ++k) context.Record(kTypes[k], data[k]);
    }
    context.Defer([] {});  // the turn's answer: it may leave only once the events are written
    context.ReleaseEffects();
  }
  Times s = clock.Stop();
  if (Status st = raw->status(); !st.ok()) Die(st.message());
  if (events) *events = context.chain().events();
  return s;
}

// The floor: SHA-256 of each encoding, and the turn's records written with one write()
// (and one fdatasync with `sync`), to a file of the same directory.
Times BaselineTurns(const std::filesystem::path& path, const std::vector<Bytes>& encodings,
                     const std::vector<Bytes>& turn_records, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, kChainFileMagic, 8) != 8) Die("cannot write " + path.string());
  uint8_t sink = 0;  // keeps the hashes alive
  Stopwatch clock;
  for (size_t t = 0; t < turn_records.size(); ++t) {
    for (int k = 0; k < kEventsPerTurn; ++k) sink ^= Sha256(encodings[t * kEventsPerTurn + k])[0];
    const Bytes& r = turn_records[t];
    if (::write(fd, r.data(), r.size()) != static_cast<ssize_t>(r.size())) Die("write failed");
    if (sync && ::fdatasync(fd) != 0) Die("fdatasync failed");
  }
  Times s = clock.Stop();
  ::close(fd);
  if (sink == 0x5a) std::printf(" ");
  return s;
}

void BenchAppend() {
  for (bool sync : {false, true}) {
    // fdatasync costs milliseconds on some disks: fewer turns there.
    int turns = sync ? (quick ? 200 : 2000) : (quick ? 5000 : 50000);
    ChainStore::Options options;
    options.sync = sync;
    ChainStore store(root / (sync ? "append-sync" : "append"), options);
    std::vector<Times> theater, raw, base;
    size_t data_bytes = 0, record_bytes = 0;
    for (int round = 0; round < rounds; ++round) {
      std::string id = "r" + std::to_string(round);
      std::vector<ChainEvent> events;
      theater.push_back(TheaterTurns(store, id, turns, &events));
      // The baseline hashes and writes exactly what the runtime recorded.
      std::vector<Bytes> encodings, turn_records(turns), cbor;
      for (const ChainEvent& e : events) {
        encodings.push_back(CanonicalEncoding(e));
        PutRecord(turn_records[e.seq / kEventsPerTurn], encodings.back(), e.hash);
        cbor.push_back(e.data);
        data_bytes += e.data.size();
        record_bytes += 4 + encodings.back().size() + 32;
      }
      base.push_back(BaselineTurns(store.dir() / (id + ".floor"), encodings, turn_records, sync));
      if (!sync) raw.push_back(TheaterTurns(store, id + "-raw", turns, nullptr, &cbor));
      if (VerifyReport v = VerifyChainFile(store.dir() / (id + ".chain")); !v.ok || v.events != events.size())
        Die("append: the chain file does not verify: " + v.reason);
      for (const auto& file : std::filesystem::directory_iterator(store.dir())) std::filesystem::remove(file.path());
    }
    double n = static_cast<double>(turns) * kEventsPerTurn, us = 1e6;
    Times th = Median(theater), ba = Median(base), rw = sync ? Times{} : Median(raw);
    auto line = [&](const std::string& what, Times a, Times b, double per, double bar) {
      Report(what, "us", a.wall * us / per, b.wall * us / per, bar, true, a.cpu * us / per, b.cpu * us / per);
    };
    if (!sync) {
      std::printf("append: %d turns of %d events, data %.0f bytes/event, record %.0f bytes/event (mean), %d rounds\n",
                  turns, kEventsPerTurn, double(data_bytes) / (n * rounds), double(record_bytes) / (n * rounds),
                  rounds);
      line("append per event, amortized (Record + Flush/turn)", th, ba, n, 2.0);
      line("append per turn (4 events + Flush)", th, ba, turns, kNoBar);
      line("append per event, CBOR given (RecordRaw + Flush/turn)", rw, ba, n, kNoBar);
    } else {
      std::printf("append, sync = true (fdatasync per flush: power-loss durable): %d turns\n", turns);
      line("append per turn, sync=true (baseline write+fdatasync)", th, ba, turns, kNoBar);
      line("append per event, sync=true", th, ba, n, kNoBar);
    }
  }
}

// --- 2. Verify -------------------------------------------------------------------------
// A chain of realistic events built directly as a chain-file image (the Chain class would
// keep a million events in memory besides), then written to disk.
struct Image {
  Bytes bytes;
  std::vector<std::pair<size_t, size_t>> encodings;  // offset and size in `bytes`
};

Image BuildImage(uint64_t n) {
  Image image;
  image.bytes.assign(kChainFileMagic, kChainFileMagic + 8);
  image.bytes.reserve(n * 300);
  image.encodings.reserve(n);
  std::optional<Hash> parent;
  uint64_t t0 = NowMs();
  const std::vector<TurnInputs>& inputs = Inputs();
  for (uint64_t t = 0; t * kEventsPerTurn < n; ++t) {
    auto data = TurnData(inputs[t % inputs.size()]);
    for (int k = 0; k < kEventsPerTurn && image.encodings.size() < n; ++k) {
      ChainEvent e{image.encodings.size(), parent, t0 + t / 8, kTypes[k], ordered_json::to_cbor(data[k]), {}};
      Bytes encoding = CanonicalEncoding(e);
      e.hash = Sha256(encoding);
      image.encodings.emplace_back(image.bytes.size() + 4, encoding.size());
      PutRecord(image.bytes, encoding, e.hash);
      parent = e.hash;
    }
  }
  return image;
}

Bytes ReadWhole(const std::filesystem::path& path) {
  Bytes data(std::filesystem::file_size(path));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  while (fd >= 0 && got < data.size()) {
    ssize_t r = ::read(fd, data.data() + got, data.size() - got);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  if (fd >= 0) ::close(fd);
  if (got != data.size()) Die("cannot read " + path.string());
  return data;
}

void BenchVerify() {
  uint64_t n = quick ? 100000 : 1000000;
  auto t0 = Clock::now();
  Image image = BuildImage(n);
  std::filesystem::path path = root / "verify.chain";
  if (!WriteFileAtomic(path, image.bytes).ok()) Die("cannot write " + path.string());
  std::printf("verify: %llu events, %.1f MB (built in %.1f s); the file is read from the page cache\n",
              static_cast<unsigned long long>(n), image.bytes.size() / 1e6, Seconds(t0));
  std::vector<Times> floor, bytes, file, read_once;
  for (int round = 0; round < rounds; ++round) {
    Stopwatch clock;
    uint8_t x = 0;
    for (auto [offset, size] : image.encodings) x ^= Sha256(std::span(image.bytes).subspan(offset, size))[0];
    floor.push_back(clock.Stop());
    if (x == 0x5a) std::printf(" ");
    clock = Stopwatch();
    VerifyReport a = VerifyChainBytes(image.bytes);
    bytes.push_back(clock.Stop());
    clock = Stopwatch();
    VerifyReport b = VerifyChainFile(path);
    file.push_back(clock.Stop());
    // The same file read with one read() into a buffer of its size: what reading costs.
    clock = Stopwatch();
    VerifyReport c = VerifyChainBytes(ReadWhole(path));
    read_once.push_back(clock.Stop());
    if (!a.ok || a.events != n || !b.ok || b.events != n || !c.ok) Die("verify: the chain does not verify: " + a.reason + b.reason);
  }
  Times fl = Median(floor), by = Median(bytes), fi = Median(file), ro = Median(read_once);
  Report("verify VerifyChainBytes (in memory)", "ev/s", n / by.wall, n / fl.wall, 1e6, false, n / by.cpu, n / fl.cpu);
  Report("verify VerifyChainFile (on disk, page cache)", "ev/s", n / fi.wall, n / fl.wall, 1e6, false, n / fi.cpu,
         n / fl.cpu);
  Report("verify the file read with one read() + VerifyChainBytes", "ev/s", n / ro.wall, n / fl.wall, kNoBar, false,
         n / ro.cpu, n / fl.cpu);
  std::filesystem::remove(path);
}

// --- 3. Replay -------------------------------------------------------------------------
// Two real actors: the messenger test guest, asked from outside to "send KV set KEY VALUE"
// (a message-server-host/send host call, and the turn's answer makes it flush), and the kv
// example, which applies each message and logs it (runtime/log). Requests are sent all at
// once, as a busy actor receives them; the original run is timed from the first request
// to kv's last turn, then both saved chains are replayed and timed the same way.
struct Run {
  double seconds = 0;
  std::vector<std::vector<ChainEvent>> chains;
};

Run OriginalRun(const std::shared_ptr<Engine>& engine, int n) {
  SystemOptions options;
  options.chain_dir = root / "replay-chains";
  options.mailbox_capacity = n + 16;
  options.request_timeout = std::chrono::seconds(120);
  auto system = ActorSystem::Create(engine, options);
  if (!system.ok()) Die(system.error());
  auto& s = **system;
  auto kv_manifest = LoadManifest(THEATER_KV_MANIFEST);
  auto messenger_manifest = ParseManifest(std::string("name = \"messenger\"\nversion = \"1\"\ncomponent = \"") +
                                              THEATER_MESSENGER +
                                              "\"\n[[handler]]\ntype = \"runtime\"\n[[handler]]\ntype = \"message-server\"\n",
                                          "/", "messenger.toml");
  if (!kv_manifest.ok() || !messenger_manifest.ok()) Die("manifests");
  std::string kv = s.Spawn(*kv_manifest).value(), messenger = s.Spawn(*messenger_manifest).value();
  s.WaitIdle(std::chrono::seconds(10));
  std::vector<std::string> texts;  // made before the clock starts
  for (int i = 0; i < n; ++i)
    texts.push_back("send " + kv + " set key-" + std::to_string(i % 20) + " value-" + std::to_string(i));
  Run run;
  auto t0 = Clock::now();
  std::vector<std::future<RequestResult>> answers;
  for (const std::string& text : texts) answers.push_back(s.Request(messenger, ToBytes(text)));
  for (auto& a : answers)
    if (RequestResult r = a.get(); !r.ok || ToString(r.response) != "ok") Die("messenger: " + r.error);
  // Behind every message in kv's mailbox: its answer means kv's last turn is done.
  if (RequestResult r = s.Request(kv, ToBytes("keys")).get(); !r.ok) Die("kv: " + r.error);
  run.seconds = Seconds(t0);
  s.WaitIdle(std::chrono::seconds(10));
  s.Shutdown();
  for (const ActorInfo& info : s.List()) {
    run.chains.emplace_back();
    if (VerifyReport v = VerifyChainFile(info.chain_path, &run.chains.back()); !v.ok) Die("replay: " + v.reason);
  }
  return run;
}

double TimedReplay(const std::vector<ChainEvent>& events, const ReplayOptions& options) {
  auto t0 = Clock::now();
  ReplayReport r = Replay(events, options);
  double s = Seconds(t0);
  if (!r.error.empty() || !r.identical) Die("replay: " + (r.error.empty() ? r.divergence->why : r.error));
  return s;
}

void BenchReplay() {
  int n = quick ? 500 : 5000;
  EngineOptions engine_options;
  engine_options.cache_dir = root / "cache";  // shared with the replays: no compilation there
  auto engine = Engine::Create(engine_options);
  if (!engine.ok() || !host::DefineAllInterfaces(**engine).ok()) Die("engine");
  ReplayOptions options;
  options.cache_dir = engine_options.cache_dir;
  std::vector<double> original, serial, parallel, fixed;
  size_t events = 0;
  for (int round = 0; round < rounds; ++round) {
    Run run = OriginalRun(*engine, n);
    original.push_back(run.seconds);
    events = 0;
    double total = 0, setup = 0;
    for (const auto& chain : run.chains) {
      events += chain.size();
      // Replay's fixed cost: a new engine, the compiled component from the cache, its
      // imports defined, one instance and init (the chain up to init's wasm/result).
      auto init_done = std::find_if(chain.begin(), chain.end(), [](auto& e) { return e.type == "wasm/result"; });
      if (init_done == chain.end()) Die("replay: no init in the chain");
      setup += TimedReplay({chain.begin(), init_done + 1}, options);
      total += TimedReplay(chain, options);
    }
    serial.push_back(total);
    fixed.push_back(setup);
    // Both chains at once, on two threads, as the original run had two workers.
    auto t0 = Clock::now();
    std::vector<std::future<double>> replays;
    for (const auto& chain : run.chains)
      replays.push_back(std::async(std::launch::async, TimedReplay, std::cref(chain), std::cref(options)));
    for (auto& r : replays) r.get();
    parallel.push_back(Seconds(t0));
  }
  double o = Median(original), r1 = Median(serial), r2 = Median(parallel);
  std::printf("replay: %d requests to messenger -> %d messages to kv, %zu events in both chains; original run on\n"
              "        2 workers; each replay makes a new engine and loads the component from the compiled\n"
              "        cache (no compilation): %.1f ms of fixed cost for both chains, included below\n",
              n, n, events, Median(fixed) * 1e3);
  Report("replay time, the chains one after the other", "ms", r1 * 1e3, o * 1e3, kNoBar, true);
  Report("replay time, both chains at once (2 threads)", "ms", r2 * 1e3, o * 1e3, kNoBar, true);
  Report("replay speed, one after the other (baseline: original)", "ev/s", events / r1, events / o, kNoBar, false);
  Report("replay speed, both at once (baseline: original)", "ev/s", events / r2, events / o, kNoBar, false);
  std::printf("%-56s one after the other %s (%.2f), both at once %s (%.2f)\n", "replay no slower than the original, bar ratio <= 1:",
              r1 <= o ? "MET" : "NOT MET", r1 / o, r2 <= o ? "MET" : "NOT MET", r2 / o);
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;  // --only append|verify|replay
  for (int i = 1; i < argc; ++i) {
    quick |= std::strcmp(argv[i], "--quick") == 0;
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
  }
  if (quick) rounds = 3;
  if (!only.empty() && only != "append" && only != "verify" && only != "replay") Die("--only append|verify|replay");
  std::string pattern = (std::filesystem::temp_directory_path() / "theater-chain-bench-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) Die("mkdtemp");
  root = pattern;
  std::printf("theater_chain_bench%s: %u cores, load average %s, temp dir %s\n", quick ? " --quick" : "",
              std::thread::hardware_concurrency(), LoadAverage().c_str(), root.c_str());
  auto run = [&](const char* name) { return only.empty() || only == name; };
  if (run("append")) BenchAppend();
  if (run("verify")) BenchVerify();
  if (run("replay")) BenchReplay();
  std::printf("load average at the end: %s\n", LoadAverage().c_str());
  std::filesystem::remove_all(root);
  return 0;
}
