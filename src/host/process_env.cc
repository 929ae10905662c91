#include "host/process_env.h"

#include <algorithm>
#include <array>

#include "host/filesystem_paths.h"

namespace theater::host {
namespace {

struct Never {
  std::string_view name;  // exact, or a prefix when it ends in '*'
  std::string_view why;
};

constexpr char kLoader[] = "it makes the dynamic loader load code or write files";
constexpr char kLibc[] = "it makes libc load code or read and write files of its choosing";
constexpr char kShell[] = "it makes shells run code or parse commands differently";

// glibc's own list of variables it drops for setuid programs (unsecvars.h), the loader's
// LD_* and other systems' equivalents, the shells' start-up and parsing variables, and
// OpenSSL's configuration (which loads engines and providers) — read by programs the
// actor may be allowed to run without any of them in mind.
constexpr std::array<Never, 35> kNever = {{
    {"LD_*", kLoader},
    {"DYLD_*", kLoader},
    {"_RLD*", kLoader},
    {"LIBPATH", kLoader},
    {"SHLIB_PATH", kLoader},
    {"GCONV_PATH", kLibc},
    {"GETCONF_DIR", kLibc},
    {"GLIBC_TUNABLES", kLibc},
    {"GMON_OUT_PREFIX", kLibc},
    {"HOSTALIASES", kLibc},
    {"LOCALDOMAIN", kLibc},
    {"LOCPATH", kLibc},
    {"MALLOC_*", kLibc},
    {"MEMUSAGE_*", kLibc},
    {"NIS_PATH", kLibc},
    {"NLSPATH", kLibc},
    {"RESOLV_HOST_CONF", kLibc},
    {"RES_OPTIONS", kLibc},
    {"SEGFAULT_*", kLibc},
    {"TZDIR", kLibc},
    {"BASH_ENV", kShell},
    {"BASH_FUNC_*", kShell},
    {"BASH_XTRACEFD", kShell},
    {"BASHOPTS", kShell},
    {"CDPATH", kShell},
    {"ENV", kShell},
    {"GLOBIGNORE", kShell},
    {"IFS", kShell},
    {"PROMPT_COMMAND", kShell},
    {"PS4", kShell},
    {"SHELLOPTS", kShell},
    {"OPENSSL_CONF", kLibc},
    {"OPENSSL_ENGINES", kLibc},
    {"OPENSSL_MODULES", kLibc},
    {"OPENSSL_CONF_INCLUDE", kLibc},
}};

bool Matches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') return name.substr(0, pattern.size() - 1) == pattern.substr(0, pattern.size() - 1);
  return name == pattern;
}

bool PortableName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::optional<std::string> NeverPassed(std::string_view name) {
  for (const auto& n : kNever)
    if (Matches(n.name, name)) return std::string(n.why);
  return std::nullopt;
}

Result<std::vector<std::string>> CheckEnvironment(const std::vector<std::pair<std::string, std::string>>& vars,
                                                  const std::vector<std::string>& allowed,
                                                  const std::string& allow_list_name) {
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) {
    std::string shown = "environment variable `" + fs::Shown(name) + "`";
    if (!PortableName(name) || value.find('\0') != std::string::npos)
      return Status::Error(shown + " has a bad name (letters, digits and _ only) or a NUL byte");
    if (auto why = NeverPassed(name)) return Status::Error(shown + " is never passed to processes: " + *why);
    if (std::none_of(allowed.begin(), allowed.end(), [&](const std::string& a) { return Matches(a, name); }))
      return Status::Error(shown + " is not in " + allow_list_name);
    out.push_back(name + "=" + value);
  }
  return out;
}

}  // namespace theater::host
