// theater store new | put STORE-ID LABEL FILE | get STORE-ID LABEL [-o FILE] | labels STORE-ID
// A thin layer over ContentStore on <data-dir>/store.db. Stores made here belong to no
// actor: an actor reaches them through the `stores` setting of its store handler, and
// manifests through store://<store-id>/<label>.
#include <algorithm>
#include <cstdio>

#include "cli/commands.h"
#include "common/files.h"
#include "storage/content_store.h"

namespace theater::cli {
namespace {

struct StoreArgs {
  std::string store_id, label, file, output;
  uint64_t max_total_size = ContentStore::kDefaultMaxTotalSize;
};

int Fail(const char* command, const std::string& why) {
  std::fprintf(stderr, "theater store %s: %s\n", command, why.c_str());
  return kExitUsage;
}

Result<std::unique_ptr<ContentStore>> OpenStore(const GlobalOptions& global) {
  std::filesystem::path dir = global.DataDir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Error(dir.string() + ": " + ec.message());
  return ContentStore::Open(dir / "store.db");
}

int New(const GlobalOptions& global) {
  auto store = OpenStore(global);
  if (!store.ok()) return Fail("new", store.error());
  auto id = (*store)->NewStore("");
  if (!id.ok()) return Fail("new", id.error());
  std::printf("%s\n", id->c_str());
  return kExitOk;
}

int Put(const StoreArgs& a, const GlobalOptions& global) {
  auto bytes = ReadFile(a.file, std::min<uint64_t>(a.max_total_size, ContentStore::kMaxContentBytes));
  if (!bytes.ok()) return Fail("put", bytes.error());
  auto store = OpenStore(global);
  if (!store.ok()) return Fail("put", store.error());
  // Like replace-content-at-label: the label names this file's content from now on.
  auto ref = (*store)->PutAtLabel(a.store_id, a.label, *bytes, a.max_total_size, /*replace=*/true);
  if (!ref.ok()) return Fail("put", ref.error());
  std::printf("%s\n", ref->c_str());
  return kExitOk;
}

int Get(const StoreArgs& a, const GlobalOptions& global) {
  auto store = OpenStore(global);
  if (!store.ok()) return Fail("get", store.error());
  auto bytes = (*store)->Read("store://" + a.store_id + "/" + a.label);
  if (!bytes.ok()) return Fail("get", bytes.error());
  if (!a.output.empty()) {
    Status written = WriteFileAtomic(a.output, *bytes);
    return written.ok() ? kExitOk : Fail("get", written.message());
  }
  if (!bytes->empty() && std::fwrite(bytes->data(), 1, bytes->size(), stdout) != bytes->size())
    return Fail("get", "cannot write to stdout");
  return kExitOk;
}

int Labels(const StoreArgs& a, const GlobalOptions& global) {
  auto store = OpenStore(global);
  if (!store.ok()) return Fail("labels", store.error());
  auto labels = (*store)->Labels(a.store_id);
  if (!labels.ok()) return Fail("labels", labels.error());
  for (const auto& label : *labels) {
    auto ref = (*store)->GetLabel(a.store_id, label);
    std::printf("%s\t%s\n", label.c_str(), ref.ok() && *ref ? (*ref)->c_str() : "");
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddStoreCommand(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  auto a = std::make_shared<StoreArgs>();
  CLI::App* store = app.add_subcommand(
      "store",
      "Content-addressed stores in <data-dir>/store.db (the store handler's stores): contents\n"
      "named by their SHA-256, and labels naming contents. A component or manifest put here\n"
      "is reachable as store://<store-id>/<label>.");
  store->require_subcommand(1);
  store->footer(
      "Example:\n"
      "  id=$(theater store new)\n"
      "  theater store put $id greeter examples/greeter-c/greeter.wasm\n"
      "  # manifest.toml: component = \"store://<id>/greeter\"\n"
      "  theater run manifest.toml\n"
      "Exit status: 0 done, 2 bad arguments, no such store or label, or the store is full.");

  CLI::App* make = store->add_subcommand("new", "Create a store (it belongs to no actor) and print its id.");
  make->callback([&global, &exit_code] { exit_code = New(global); });

  CLI::App* put = store->add_subcommand(
      "put", "Store a file's bytes and point LABEL at them (replacing what it named); prints the content ref.");
  put->add_option("store-id", a->store_id, "The store's id (from `theater store new`)")->required();
  put->add_option("label", a->label, "The label to point at the content")->required();
  put->add_option("file", a->file, "The file to store")->required();
  put->add_option("--max-total-size", a->max_total_size, "Refuse if the store would grow beyond this many bytes")
      ->capture_default_str();
  put->footer("Example:\n  theater store put 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 app app.wasm");
  put->callback([a, &global, &exit_code] { exit_code = Put(*a, global); });

  CLI::App* get = store->add_subcommand("get", "Write the content LABEL names to stdout (or -o FILE).");
  get->add_option("store-id", a->store_id, "The store's id")->required();
  get->add_option("label", a->label, "The label")->required();
  get->add_option("-o,--output", a->output, "Write to this file instead of stdout");
  get->footer("Example:\n  theater store get 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 app -o app.wasm");
  get->callback([a, &global, &exit_code] { exit_code = Get(*a, global); });

  CLI::App* labels = store->add_subcommand("labels", "List a store's labels, each with the content ref it names.");
  labels->add_option("store-id", a->store_id, "The store's id")->required();
  labels->callback([a, &global, &exit_code] { exit_code = Labels(*a, global); });
  return store;
}

}  // namespace theater::cli
