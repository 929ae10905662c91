#include "host/libcurl.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace theater::host {
namespace {

// The soname of libcurl 7.16 and later (Debian's libcurl4 packages).
constexpr char kLibrary[] = "libcurl.so.4";

template <typename F>
bool Bind(void* library, const char* name, F& out, std::string& missing) {
  out = reinterpret_cast<F>(::dlsym(library, name));
  if (!out && missing.empty()) missing = name;
  return out != nullptr;
}

Result<const Curl*> Load() {
  // Never unloaded: transfers may run on any thread until the process ends.
  void* library = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = ::dlerror();
    return Status::Error(std::string("could not load ") + kLibrary + " (the HTTP client needs it): " + (why ? why : "?"));
  }
  static Curl curl;
  std::string missing;
  Bind(library, "curl_global_init", curl.global_init, missing);
  Bind(library, "curl_easy_init", curl.easy_init, missing);
  Bind(library, "curl_easy_cleanup", curl.easy_cleanup, missing);
  Bind(library, "curl_easy_setopt", curl.easy_setopt, missing);
  Bind(library, "curl_easy_perform", curl.easy_perform, missing);
  Bind(library, "curl_easy_getinfo", curl.easy_getinfo, missing);
  Bind(library, "curl_easy_strerror", curl.easy_strerror, missing);
  Bind(library, "curl_slist_append", curl.slist_append, missing);
  Bind(library, "curl_slist_free_all", curl.slist_free_all, missing);
  Bind(library, "curl_url", curl.url, missing);
  Bind(library, "curl_url_cleanup", curl.url_cleanup, missing);
  Bind(library, "curl_url_set", curl.url_set, missing);
  Bind(library, "curl_url_get", curl.url_get, missing);
  Bind(library, "curl_free", curl.free, missing);
  if (!missing.empty()) return Status::Error(std::string(kLibrary) + " has no " + missing + " (too old a libcurl)");
  if (CURLcode rc = curl.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
    return Status::Error(std::string("curl_global_init failed: ") + curl.easy_strerror(rc));
  return static_cast<const Curl*>(&curl);
}

}  // namespace

Result<const Curl*> LoadCurl() {
  static const Result<const Curl*> loaded = Load();  // once, thread-safe
  return loaded;
}

}  // namespace theater::host
