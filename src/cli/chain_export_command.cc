// theater chain export CHAIN --out FILE [--no-component]
// theater chain keygen [--force]
#include "chain/chain_image.h"
#include "chain/event_data.h"
#include "cli/chain_files.h"
#include "cli/commands.h"
#include "common/files.h"

namespace theater::cli {
namespace {

int Export(const std::string& target, const std::string& out_path, bool with_component, const GlobalOptions& global) {
  auto chain = ReadVerifiedChainImage(target, global);
  if (!chain.ok()) {
    std::fprintf(stderr, "theater chain export: %s\n", chain.error().c_str());
    return kExitUsage;
  }
  ChainImage image = chain->image;
  const std::vector<ChainEvent>& events = chain->events;
  auto started = events.empty() ? nlohmann::json() : DecodeEventData(events[0].data);
  if (events.empty() || events[0].type != "theater/actor-started" || !started.is_object()) {
    std::fprintf(stderr, "theater chain export: the chain does not begin with theater/actor-started\n");
    return kExitUsage;
  }
  auto text = [&](const char* field) {
    auto it = started.find(field);
    return it != started.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  image.actor_id = text("actor_id");
  image.component_sha256 = text("component_sha256");
  if (with_component && !image.component) {
    std::string component = text("component");
    auto bytes = component.empty() ? Result<Bytes>(Status::Error("the chain names no component file"))
                                    : ReadFile(component, kMaxComponentBytes);
    if (bytes.ok() && ToHex(Sha256(*bytes)) == image.component_sha256) {
      image.component = std::move(*bytes);
    } else {
      std::fprintf(stderr, "note: the recorded component is not included: %s\n",
                   bytes.ok() ? (component + " has changed since the chain was recorded").c_str() : bytes.error().c_str());
    }
  }
  if (!with_component) image.component.reset();
  // The states the chain names go with it (only those: not a snapshot its chain never
  // named), so the export verifies and replays on its own.
  auto snapshots = OpenSnapshots(chain->image);
  auto collected = snapshots.ok() ? CollectSnapshots(events, **snapshots) : Result<Bytes>(snapshots.status());
  if (!collected.ok()) {
    std::fprintf(stderr, "theater chain export: %s\n", collected.error().c_str());
    return kExitUsage;
  }
  image.snapshots = std::move(*collected);
  if (Status s = WriteFileAtomic(out_path, EncodeExport(image)); !s.ok()) {
    std::fprintf(stderr, "theater chain export: %s\n", s.message().c_str());
    return kExitUsage;
  }
  size_t checkpoints = 0;
  if (image.checkpoints)
    if (auto file = ParseCheckpointFile(*image.checkpoints); file.ok()) checkpoints = file->checkpoints.size();
  std::printf("exported actor %s: %zu events, %zu checkpoints, %zu bytes of state snapshots, component %s, to %s\n",
              image.actor_id.c_str(), events.size(), checkpoints, image.snapshots->size() - 8,
              image.component ? "included" : "not included", out_path.c_str());
  return kExitOk;
}

int Keygen(bool force, const GlobalOptions& global) {
  std::filesystem::path priv = SigningKeyPath(global), pub = PublicKeyPath(global);
  std::error_code ec;
  if (std::filesystem::exists(priv, ec)) {
    if (!force) {
      std::fprintf(stderr,
                   "theater chain keygen: %s exists; checkpoints signed with it verify only with its public key.\n"
                   "Give --force to replace it.\n",
                   priv.c_str());
      return kExitUsage;
    }
    std::filesystem::remove(priv, ec);
  }
  auto key = Ed25519Key::Generate();
  Status s = key.ok() ? (*key)->Save(priv, pub) : key.status();
  if (!s.ok()) {
    std::fprintf(stderr, "theater chain keygen: %s\n", s.message().c_str());
    return kExitUsage;
  }
  std::printf("Ed25519 key %s\n  private: %s (keep it secret)\n  public:  %s\n", ToHex((*key)->public_key()).c_str(),
              priv.c_str(), pub.c_str());
  std::printf("theater run now signs every checkpoint with it; check them with\n"
              "  theater chain verify ACTOR-ID --public-key %s\n",
              pub.c_str());
  return kExitOk;
}

}  // namespace

void AddChainExportCommands(CLI::App& chain, const GlobalOptions& global, int& exit_code) {
  struct ExportArgs {
    std::string target, out;
    bool no_component = false;
  };
  auto e = std::make_shared<ExportArgs>();
  CLI::App* exp = chain.add_subcommand(
      "export",
      "Write one self-contained file with an actor's chain, its checkpoints, the states it\n"
      "names (their snapshots), the component's\n"
      "SHA-256 and (unless --no-component) the component itself. `theater chain verify`,\n"
      "`show`, `prove` and `theater replay` accept it on any machine.");
  exp->add_option("chain", e->target, "An actor id (its chain in the data directory), a chain file or an export")
      ->required();
  exp->add_option("--out", e->out, "The file to write")->required();
  exp->add_flag("--no-component", e->no_component, "Leave the component out (replay then needs --component)");
  exp->footer("Example:\n  theater chain export 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 --out greeter.theater-export\n"
              "Exit status: 0 written, 2 no such chain, it does not verify, or the file cannot be written.");
  exp->callback([e, &global, &exit_code] { exit_code = Export(e->target, e->out, !e->no_component, global); });

  auto force = std::make_shared<bool>(false);
  CLI::App* keygen = chain.add_subcommand(
      "keygen",
      "Create the Ed25519 key that signs checkpoints: <data dir>/keys/checkpoint.key (private,\n"
      "mode 0600) and checkpoint.pub. From then on `theater run` signs every checkpoint.");
  keygen->add_flag("--force", *force, "Replace an existing key");
  keygen->callback([force, &global, &exit_code] { exit_code = Keygen(*force, global); });
}

}  // namespace theater::cli
