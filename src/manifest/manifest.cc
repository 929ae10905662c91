#include "manifest/manifest.h"

#include <algorithm>
#include <map>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <toml++/toml.h>

#include "common/files.h"
#include "manifest/handler_catalog.h"

namespace theater {
namespace {

const char* TypeName(SettingType t) {
  switch (t) {
    case SettingType::kString: return "a string";
    case SettingType::kBool: return "true or false";
    case SettingType::kInteger: return "an integer";
    case SettingType::kFloat: return "a number";
    case SettingType::kStringArray: return "an array of strings";
  }
  return "?";
}

// Builds error messages of the form "<origin>:<line>: <field>: <what>".
class Errors {
 public:
  explicit Errors(std::string origin) : origin_(std::move(origin)) {}
  Status At(const toml::node* node, const std::string& field, const std::string& what) const {
    std::string where = origin_;
    if (node && node->source().begin.line > 0) where += ":" + std::to_string(node->source().begin.line);
    return Status::Error(where + ": " + (field.empty() ? "" : "field `" + field + "`: ") + what);
  }

 private:
  std::string origin_;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Result<nlohmann::json> ConvertSetting(const toml::node& node, const SettingSpec& spec, const Errors& err,
                                      const std::string& field) {
  SettingType type = spec.type;
  switch (type) {
    case SettingType::kString:
      if (auto v = node.value<std::string>(); v && node.is_string()) {
        const auto& allowed = spec.choices;
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *v) == allowed.end())
          return err.At(&node, field, "must be one of " + Join(allowed) + ", not `" + *v + "`");
        return nlohmann::json(*v);
      }
      break;
    case SettingType::kFloat:
      if (node.is_floating_point() || node.is_integer()) {
        double v = node.is_integer() ? static_cast<double>(*node.value<int64_t>()) : *node.value<double>();
        if (v < 0) return err.At(&node, field, "must not be negative");
        return nlohmann::json(v);
      }
      break;
    case SettingType::kBool:
      if (node.is_boolean()) return nlohmann::json(*node.value<bool>());
      break;
    case SettingType::kInteger:
      if (node.is_integer()) {
        int64_t v = *node.value<int64_t>();
        if (v < 0) return err.At(&node, field, "must not be negative, got " + std::to_string(v));
        return nlohmann::json(v);
      }
      break;
    case SettingType::kStringArray:
      if (const toml::array* arr = node.as_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : *arr) {
          if (!item.is_string()) return err.At(&item, field, "every element must be a string");
          out.push_back(*item.value<std::string>());
        }
        return out;
      }
      break;
  }
  return err.At(&node, field, std::string("must be ") + TypeName(type));
}

Status ParseHandler(const toml::table& table, size_t index, const Errors& err, HandlerConfig& out) {
  std::string prefix = "handler[" + std::to_string(index) + "]";
  const toml::node* type_node = table.get("type");
  if (!type_node) return err.At(&table, prefix + ".type", "is missing (every [[handler]] needs a type)");
  if (!type_node->is_string()) return err.At(type_node, prefix + ".type", "must be a string");
  out.type = *type_node->value<std::string>();
  const HandlerSpec* known = FindHandlerSpec(out.type);
  if (!known)
    return err.At(type_node, prefix + ".type",
                  "unknown handler type `" + out.type + "` (known: " + Join(KnownHandlerTypes()) + ")");
  for (const auto& [key, node] : table) {
    std::string k(key.str());
    if (k == "type") continue;
    const SettingSpec* setting = known->Setting(k);
    if (!setting) {
      std::vector<std::string> allowed = known->SettingNames();
      return err.At(&node, prefix + "." + k,
                    "unknown setting for handler `" + out.type + "`" +
                        (allowed.empty() ? " (it takes none)" : " (allowed: " + Join(allowed) + ")"));
    }
    auto value = ConvertSetting(node, *setting, err, prefix + "." + k);
    if (!value.ok()) return value.status();
    out.settings[k] = std::move(*value);
  }
  return Status::Ok();
}

Status ParseLimits(const toml::table& table, const Errors& err, ActorLimits& limits) {
  const std::map<std::string, uint64_t*> fields = {
      {"fuel_per_call", &limits.fuel_per_call},
      {"call_timeout_ms", &limits.call_timeout_ms},
      {"max_memory_bytes", &limits.max_memory_bytes},
      {"max_table_elements", &limits.max_table_elements},
      {"max_instances", &limits.max_instances},
      {"max_log_bytes_per_turn", &limits.max_log_bytes_per_turn},
      {"max_chain_bytes", &limits.max_chain_bytes},
  };
  // Sizes that cannot be zero: wasmtime takes a memory limit of 0 as none at all, and a
  // chain that may not grow could not even record the actor's start.
  const std::map<std::string, uint64_t> minimum = {
      {"max_memory_bytes", 65536}, {"max_chain_bytes", 65536}, {"max_table_elements", 1}, {"max_instances", 1}};
  for (const auto& [key, node] : table) {
    std::string k(key.str());
    auto it = fields.find(k);
    if (it == fields.end()) {
      std::vector<std::string> allowed;
      for (const auto& [name, _] : fields) allowed.push_back(name);
      return err.At(&node, "limits." + k, "unknown limit (allowed: " + Join(allowed) + ")");
    }
    if (!node.is_integer() || *node.value<int64_t>() < 0)
      return err.At(&node, "limits." + k, "must be a non-negative integer");
    uint64_t value = static_cast<uint64_t>(*node.value<int64_t>());
    if (auto min = minimum.find(k); min != minimum.end() && value < min->second)
      return err.At(&node, "limits." + k, "must be at least " + std::to_string(min->second) + ", got " + std::to_string(value));
    *it->second = value;
  }
  return Status::Ok();
}

Status ParsePermissionPolicies(const toml::table& table, const Errors& err, std::vector<PermissionPolicy>& out) {
  for (const auto& [key, node] : table) {
    std::string handler(key.str());
    std::string field = "permission_policy." + handler;
    const HandlerSpec* spec = FindHandlerSpec(handler);
    if (!spec)
      return err.At(&node, field, "unknown handler type `" + handler + "` (known: " + Join(KnownHandlerTypes()) + ")");
    const toml::table* t = node.as_table();
    if (!t) return err.At(&node, field, "must be a table with a `type`");
    PermissionPolicy policy;
    policy.handler = handler;
    const toml::node* type = t->get("type");
    if (!type || !type->is_string())
      return err.At(type ? type : &node, field + ".type", "is missing or not a string (inherit, disallow or restrict)");
    policy.type = *type->value<std::string>();
    if (policy.type != "inherit" && policy.type != "disallow" && policy.type != "restrict")
      return err.At(type, field + ".type", "must be inherit, disallow or restrict, not `" + policy.type + "`");
    for (const auto& [k, v] : *t) {
      if (k.str() == "type") continue;
      const SettingSpec* setting = spec->Setting(k.str());
      if (!setting)
        return err.At(&v, field + "." + std::string(k.str()), "unknown setting for handler `" + handler + "`");
      auto value = ConvertSetting(v, *setting, err, field + "." + std::string(k.str()));
      if (!value.ok()) return value.status();
      policy.settings[std::string(k.str())] = std::move(*value);
    }
    out.push_back(std::move(policy));
  }
  return Status::Ok();
}

Result<std::string> RequiredString(const toml::table& root, const char* key, const Errors& err) {
  const toml::node* node = root.get(key);
  if (!node) return err.At(nullptr, key, "is missing (required)");
  if (!node->is_string()) return err.At(node, key, "must be a string");
  std::string v = *node->value<std::string>();
  if (v.empty()) return err.At(node, key, "must not be empty");
  return v;
}

}  // namespace

const std::vector<std::string>& KnownHandlerTypes() {
  static const std::vector<std::string> kTypes = [] {
    std::vector<std::string> types;
    for (const auto& spec : HandlerCatalog()) types.push_back(spec.type);
    return types;
  }();
  return kTypes;
}

Status CheckNodeName(const std::string& name) {
  if (name.empty() || name.size() > 64) return Status::Error("node name `" + name + "`: give 1 to 64 characters");
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
      return Status::Error("node name `" + name + "`: only letters, digits, '-' and '_' (it is part of NATS subjects)");
  return Status::Ok();
}

bool Manifest::Grants(std::string_view type) const { return Handler(type) != nullptr; }

const HandlerConfig* Manifest::Handler(std::string_view type) const {
  for (const auto& h : handlers)
    if (h.type == type) return &h;
  return nullptr;
}

namespace {

// Opens a file through `files` and reads it whole when `read` (else only checks that it is
// a regular file within `max_bytes`). Errors name the file, not its content.
Result<Bytes> ReadManifestFile(const ManifestFiles& files, const std::filesystem::path& path, uint64_t max_bytes,
                               bool read) {
  auto fd = files.Open(path);
  if (!fd.ok()) return fd.status();
  if (read) return ReadOpenFile(fd->get(), path.string(), max_bytes);
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return Status::Error(path.string() + ": cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return Status::Error(path.string() + " is " + FileKindName(st.st_mode) + ", not a component file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return Status::Error(path.string() + " is " + std::to_string(st.st_size) + " bytes, larger than the limit of " +
                         std::to_string(max_bytes));
  return Bytes();
}

// The filesystem's directory, like the component, is relative to the manifest's folder:
// an actor's files do not move with the directory Theater happens to be started in.
void ResolveFilesystemPath(const std::string& handler, nlohmann::json& settings, const std::filesystem::path& base_dir) {
  if (handler != "filesystem" || !settings.contains("path")) return;
  std::filesystem::path dir = settings["path"].get<std::string>();
  if (dir.is_relative()) settings["path"] = (base_dir / dir).lexically_normal().string();
}

}  // namespace

Result<Manifest> ParseManifest(std::string_view text, const std::filesystem::path& base_dir,
                               const std::string& origin, const ManifestFiles* files) {
  static const OperatorFiles kOperatorFiles;
  if (!files) files = &kOperatorFiles;
  Errors err(origin);
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::string where = origin + ":" + std::to_string(e.source().begin.line) + ":" +
                        std::to_string(e.source().begin.column) + ": invalid TOML";
    // toml++ quotes what it saw; an actor must not learn a file's content that way.
    if (files->named_by_actor()) return Status::Error(where);
    return Status::Error(where + ": " + std::string(e.description()));
  }

  Manifest m;
  m.file = origin;
  m.base_dir = base_dir;
  m.named_by_actor = files->named_by_actor();
  static const std::set<std::string> kTopLevel = {"name", "version", "component", "description",
                                                  "init_state", "save_chain", "handler",
                                                  "permission_policy", "limits", "node"};
  for (const auto& [key, node] : root) {
    if (!kTopLevel.count(std::string(key.str())))
      return err.At(&node, std::string(key.str()),
                    "unknown field (known: name, version, component, description, init_state, "
                    "save_chain, handler, permission_policy, limits, node)");
  }

  auto name = RequiredString(root, "name", err);
  if (!name.ok()) return name.status();
  m.name = *name;
  auto version = RequiredString(root, "version", err);
  if (!version.ok()) return version.status();
  m.version = *version;
  auto component = RequiredString(root, "component", err);
  if (!component.ok()) return component.status();
  m.component = *component;
  if (m.component.rfind("store://", 0) != 0) {
    m.component_path = std::filesystem::path(m.component).is_absolute()
                           ? std::filesystem::path(m.component)
                           : base_dir / m.component;
    m.component_path = m.component_path.lexically_normal();
    // Checked here (a regular file within the size limit) and, for a manifest an actor
    // named, read here: the engine then runs exactly these bytes.
    auto bytes = ReadManifestFile(*files, m.component_path, kMaxComponentBytes, files->named_by_actor());
    if (!bytes.ok()) return err.At(root.get("component"), "component", bytes.error());
    if (files->named_by_actor()) m.component_bytes = std::make_shared<const Bytes>(std::move(*bytes));
  }
  if (const toml::node* d = root.get("description")) {
    if (!d->is_string()) return err.At(d, "description", "must be a string");
    m.description = *d->value<std::string>();
  }
  if (const toml::node* n = root.get("node")) {
    if (!n->is_string()) return err.At(n, "node", "must be a string (a node's name in the cluster)");
    m.node = *n->value<std::string>();
    if (Status valid = CheckNodeName(m.node); !valid.ok()) return err.At(n, "node", valid.message());
  }
  if (const toml::node* s = root.get("save_chain")) {
    if (!s->is_boolean()) return err.At(s, "save_chain", "must be true or false");
    m.save_chain = *s->value<bool>();
  }
  if (const toml::node* s = root.get("init_state")) {
    if (!s->is_string()) return err.At(s, "init_state", "must be a string (path of a JSON file)");
    std::filesystem::path p = *s->value<std::string>();
    if (p.is_relative()) p = base_dir / p;
    auto bytes = ReadManifestFile(*files, p.lexically_normal(), kMaxStateFileBytes, true);
    if (!bytes.ok()) return err.At(s, "init_state", "cannot be read: " + bytes.error());
    if (!nlohmann::json::accept(bytes->begin(), bytes->end()))
      return err.At(s, "init_state", p.string() + " is not a valid JSON document");
    m.init_state = std::move(*bytes);
  }

  if (const toml::node* h = root.get("handler")) {
    const toml::array* arr = h->as_array();
    if (!arr || !arr->is_array_of_tables())
      return err.At(h, "handler", "must be an array of tables ([[handler]])");
    std::set<std::string> seen;
    for (size_t i = 0; i < arr->size(); ++i) {
      HandlerConfig cfg;
      THEATER_RETURN_IF_ERROR(ParseHandler(*arr->get(i)->as_table(), i, err, cfg));
      if (!seen.insert(cfg.type).second)
        return err.At(arr->get(i), "handler[" + std::to_string(i) + "].type",
                      "handler `" + cfg.type + "` is granted twice");
      ResolveFilesystemPath(cfg.type, cfg.settings, base_dir);
      m.handlers.push_back(std::move(cfg));
    }
  }
  if (const toml::node* l = root.get("limits")) {
    if (!l->is_table()) return err.At(l, "limits", "must be a table ([limits])");
    THEATER_RETURN_IF_ERROR(ParseLimits(*l->as_table(), err, m.limits));
  }
  if (const toml::node* p = root.get("permission_policy")) {
    if (!p->is_table()) return err.At(p, "permission_policy", "must be a table ([permission_policy.<handler>])");
    THEATER_RETURN_IF_ERROR(ParsePermissionPolicies(*p->as_table(), err, m.permission_policies));
    for (auto& policy : m.permission_policies) ResolveFilesystemPath(policy.handler, policy.settings, base_dir);
  }
  return m;
}

Result<Manifest> LoadManifest(const std::filesystem::path& path, const ManifestFiles* files) {
  static const OperatorFiles kOperatorFiles;
  if (!files) files = &kOperatorFiles;
  std::filesystem::path absolute = std::filesystem::absolute(path).lexically_normal();
  auto text = ReadManifestFile(*files, absolute, kMaxManifestBytes, true);
  if (!text.ok()) return Status::Error("cannot read manifest " + text.error());
  auto manifest = ParseManifest(std::string_view(reinterpret_cast<const char*>(text->data()), text->size()),
                                absolute.parent_path(), path.string(), files);
  if (manifest.ok()) manifest->file = absolute;
  return manifest;
}

Result<UniqueFd> OperatorFiles::Open(const std::filesystem::path& path) const {
  // O_NONBLOCK: a FIFO opens at once instead of waiting for a writer (ReadOpenFile then
  // refuses it); O_NOCTTY: a terminal never becomes the process's.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Error("file not found: " + path.string());
    return Status::Error(path.string() + ": cannot be read: " + std::strerror(errno));
  }
  return UniqueFd(fd);
}

}  // namespace theater
