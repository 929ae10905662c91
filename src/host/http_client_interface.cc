#include "host/http_client_interface.h"


#include <algorithm>
#include <atomic>
#include <chrono>
#include <cctype>
#include <memory>
#include <mutex>
#include <thread>

#include "host/libcurl.h"
#include "runtime/host_services.h"
#include "runtime/host_binding.h"

namespace theater::host {
namespace {

constexpr char kHttpClient[] = "theater:simple/http-client";
constexpr char kEventType[] = "theater:simple/http-client/send-http";
constexpr uint64_t kDefaultMaxResponseBytes = 16 * 1024 * 1024;
constexpr uint64_t kDefaultTimeoutMs = 30'000;
constexpr uint64_t kDefaultMaxRedirects = 5;
constexpr size_t kMaxRequestBodyBytes = 16 * 1024 * 1024;
constexpr size_t kMaxUriBytes = 8 * 1024;
constexpr size_t kMaxRequestHeaders = 100;
constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;
const std::vector<std::string> kStandardMethods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};

using Args = std::vector<Value>;
using Headers = std::vector<std::pair<std::string, std::string>>;

const Value* Field(const Value& record, const std::string& name) {
  for (const auto& f : record.fields())
    if (f.name == name) return &f.value;
  return nullptr;
}

// The engine refuses strings that are not UTF-8; a server may send anything in a header.
std::string SanitizeUtf8(std::string s) {
  if (IsValidUtf8(s)) return s;
  for (char& c : s)
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Limits {
  std::vector<std::string> hosts;
  std::vector<std::string> methods = kStandardMethods;
  uint64_t max_response_bytes = kDefaultMaxResponseBytes;
  uint64_t timeout_ms = kDefaultTimeoutMs;
  uint64_t max_redirects = kDefaultMaxRedirects;

  static Limits From(const nlohmann::json* s) {
    Limits l;
    if (!s) return l;
    if (s->contains("allowed_hosts")) l.hosts = (*s)["allowed_hosts"].get<std::vector<std::string>>();
    if (s->contains("allowed_methods")) {
      l.methods = (*s)["allowed_methods"].get<std::vector<std::string>>();
      for (auto& m : l.methods)
        for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    l.max_response_bytes = s->value("max_response_bytes", kDefaultMaxResponseBytes);
    l.timeout_ms = s->value("timeout_ms", kDefaultTimeoutMs);
    l.max_redirects = s->value("max_redirects", kDefaultMaxRedirects);
    return l;
  }

  // Exact names, or "*.example.com" for any name below example.com (not example.com itself).
  bool HostAllowed(const std::string& host) const {
    std::string h = Lower(host);
    for (const auto& allowed : hosts) {
      std::string a = Lower(allowed);
      if (a == h) return true;
      if (a.size() > 2 && a.compare(0, 2, "*.") == 0 && h.size() > a.size() - 1 &&
          h.compare(h.size() - (a.size() - 1), a.size() - 1, a, 1) == 0)
        return true;
    }
    return false;
  }
  bool MethodAllowed(const std::string& m) const { return std::find(methods.begin(), methods.end(), m) != methods.end(); }
};

// Scheme and host of a URL, or why it is not one we go to.
Result<std::string> CheckUrl(const std::string& url, const Limits& limits) {
  auto loaded = LoadCurl();
  if (!loaded.ok()) return loaded.status();
  const Curl& curl = **loaded;
  std::unique_ptr<CURLU, decltype(curl.url_cleanup)> u(curl.url(), curl.url_cleanup);
  if (curl.url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return Status::Error("`" + url + "` is not a URL");
  char* scheme = nullptr;
  char* host = nullptr;
  curl.url_get(u.get(), CURLUPART_SCHEME, &scheme, 0);
  curl.url_get(u.get(), CURLUPART_HOST, &host, 0);
  std::string s = scheme ? scheme : "", h = host ? host : "";
  curl.free(scheme);
  curl.free(host);
  if (s != "http" && s != "https") return Status::Error("scheme `" + s + "` is not allowed (only http and https)");
  if (!limits.HostAllowed(h)) return Status::Error("host `" + h + "` is not in allowed_hosts");
  return h;
}

struct Request {
  std::string method, uri;
  Headers headers;
  std::optional<Bytes> body;
};

struct Response {
  uint16_t status = 0;
  Headers headers;
  Bytes body;
  bool too_large = false;
  bool headers_too_large = false;
};

struct Transfer {
  Response* response;
  uint64_t max_body;
  const std::atomic<bool>* cancelled;
  size_t header_bytes = 0;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->response->body.size() + len > t->max_body) {
    t->response->too_large = true;
    return 0;  // aborts the transfer: nothing more is read
  }
  t->response->body.insert(t->response->body.end(), data, data + len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  t->header_bytes += len;
  if (t->header_bytes > kMaxResponseHeaderBytes) {
    t->response->headers_too_large = true;
    return 0;
  }
  std::string line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a new response (after 100 Continue)
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return len;
  std::string value = line.substr(colon + 1);
  size_t start = value.find_first_not_of(" \t");
  value = start == std::string::npos ? "" : value.substr(start);
  t->response->headers.emplace_back(SanitizeUtf8(line.substr(0, colon)), SanitizeUtf8(value));
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->cancelled->load() ? 1 : 0;
}

// One request (no redirect followed); fills `out` and `location` (the redirect target).
Status PerformOnce(const Request& req, const Limits& limits, uint64_t timeout_ms, const std::atomic<bool>& cancelled,
                   Response& out, std::string& location) {
  auto loaded = LoadCurl();
  if (!loaded.ok()) return loaded.status();
  const Curl& lib = **loaded;
  std::unique_ptr<CURL, decltype(lib.easy_cleanup)> curl(lib.easy_init(), lib.easy_cleanup);
  if (!curl) return Status::Error("could not start a transfer");
  CURL* c = curl.get();
  Transfer t{&out, limits.max_response_bytes, &cancelled};
  lib.easy_setopt(c, CURLOPT_URL, req.uri.c_str());
  lib.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  lib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<uint64_t>(timeout_ms, 1)));
  lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  lib.easy_setopt(c, CURLOPT_WRITEDATA, &t);
  lib.easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  lib.easy_setopt(c, CURLOPT_HEADERDATA, &t);
  lib.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  lib.easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  lib.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  if (req.method == "HEAD") lib.easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (req.method != "GET") lib.easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.body) {
    lib.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body->size()));
    lib.easy_setopt(c, CURLOPT_POSTFIELDS, reinterpret_cast<const char*>(req.body->data()));
  }
  std::unique_ptr<curl_slist, decltype(lib.slist_free_all)> list(nullptr, lib.slist_free_all);
  for (const auto& [name, value] : req.headers) {
    std::string line = name + ": " + value;
    curl_slist* next = lib.slist_append(list.get(), line.c_str());
    if (!next) return Status::Error("out of memory");
    list.release();
    list.reset(next);
  }
  lib.easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  CURLcode rc = lib.easy_perform(c);
  if (out.too_large)
    return Status::Error("response larger than max_response_bytes (" + std::to_string(limits.max_response_bytes) + ")");
  if (out.headers_too_large)
    return Status::Error("response headers larger than " + std::to_string(kMaxResponseHeaderBytes) + " bytes");
  if (cancelled.load()) return Status::Error("the request was cancelled: the actor stopped");
  if (rc == CURLE_OPERATION_TIMEDOUT) return Status::Error("request to `" + req.uri + "` timed out");
  if (rc != CURLE_OK) return Status::Error("request to `" + req.uri + "` failed: " + lib.easy_strerror(rc));
  long status = 0;
  lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<uint16_t>(status);
  char* redirect = nullptr;
  lib.easy_getinfo(c, CURLINFO_REDIRECT_URL, &redirect);
  location = redirect ? redirect : "";
  return Status::Ok();
}

// The request with its redirects, each target checked against the allow list.
Result<Response> Perform(Request req, const Limits& limits, const std::atomic<bool>& cancelled) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits.timeout_ms);
  for (uint64_t hops = 0;; ++hops) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::Error("request timed out after " + std::to_string(limits.timeout_ms) + " ms");
    Response response;
    std::string location;
    THEATER_RETURN_IF_ERROR(PerformOnce(req, limits, left.count(), cancelled, response, location));
    bool redirect = response.status >= 300 && response.status < 400 && !location.empty();
    if (!redirect) return response;
    if (hops >= limits.max_redirects)
      return Status::Error("too many redirects (max_redirects is " + std::to_string(limits.max_redirects) + ")");
    auto host = CheckUrl(location, limits);
    if (!host.ok()) return Status::Error("redirect to `" + location + "` refused: " + host.error());
    // 303 (and 301/302 after a POST, as browsers do) continue as a GET without the body.
    if (response.status == 303 || ((response.status == 301 || response.status == 302) && req.method == "POST")) {
      req.method = "GET";
      req.body.reset();
    }
    req.uri = location;
  }
}

Value ResponseValue(const Response& r) {
  ValueList headers;
  for (const auto& [n, v] : r.headers) headers.push_back(Value::Tuple({Value::String(n), Value::String(v)}));
  return Value::Record({{"status", Value::U16(r.status)},
                        {"headers", Value::List(std::move(headers))},
                        {"body", Value::Some(Value::BytesValue(r.body))}});
}

// Per actor: the transfers in flight. Stopping the actor cancels them (the progress
// callback sees the flag within a second) and waits for their threads.
struct HttpClientState {
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  struct Running {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };
  std::vector<Running> transfers;

  void JoinFinished() {
    std::erase_if(transfers, [](Running& r) {
      if (!r.finished->load()) return false;
      r.thread.join();
      return true;
    });
  }
  ~HttpClientState() {
    cancelled->store(true);
    for (auto& r : transfers) r.thread.join();
  }
};

bool HasCrLf(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

bool IsToken(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

Result<HostReturn> SendHttp(ActorContext& actor, Args& args) {
  ordered_json recorded_args = ValuesToJson(args);
  auto refuse = [&](const std::string& why, bool denied) {
    ordered_json data = {{"args", recorded_args}, {"result", {{"err", why}}}};
    if (denied) data["denied"] = why;
    actor.Record(kEventType, data);
    return HostReturn::Now(Value::Err(Value::String(why)));
  };
  Limits limits = Limits::From(actor.permissions().Settings("http-client"));
  const Value& r = args.at(0);
  Request req;
  req.method = Field(r, "method")->as_string();
  req.uri = Field(r, "uri")->as_string();
  for (const auto& h : Field(r, "headers")->items()) req.headers.emplace_back(h.items()[0].as_string(), h.items()[1].as_string());
  const Value& body = *Field(r, "body");
  if (body.has_payload()) req.body = body.payload().as_bytes();

  for (char& c : req.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!IsToken(req.method)) return refuse("method `" + req.method + "` is not an HTTP method", false);
  if (req.uri.size() > kMaxUriBytes) return refuse("uri longer than " + std::to_string(kMaxUriBytes) + " bytes", false);
  if (req.headers.size() > kMaxRequestHeaders)
    return refuse("more than " + std::to_string(kMaxRequestHeaders) + " request headers", false);
  for (const auto& [name, value] : req.headers)
    if (!IsToken(name) || HasCrLf(value)) return refuse("header `" + SanitizeUtf8(name) + "` has a bad name or a CR/LF", false);
  if (req.body && req.body->size() > kMaxRequestBodyBytes)
    return refuse("request body larger than " + std::to_string(kMaxRequestBodyBytes) + " bytes", false);
  if (!limits.MethodAllowed(req.method)) return refuse("method `" + req.method + "` is not in allowed_methods", true);
  auto host = CheckUrl(req.uri, limits);
  if (!host.ok()) return refuse(host.error(), host.error().find("allowed") != std::string::npos);


  auto call = std::make_shared<AwaitedCall>(kEventType, ordered_json::object());
  actor.Record(kEventType, {{"args", recorded_args}});
  actor.ReleaseEffects();  // the actor waits now: what it has done so far goes out
  actor.Await(call);
  auto& state = actor.HostState<HttpClientState>("http-client");
  state.JoinFinished();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::thread thread([call, req = std::move(req), limits, cancelled = state.cancelled, finished]() mutable {
    auto response = Perform(std::move(req), limits, *cancelled);
    Value result = response.ok() ? Value::Ok(ResponseValue(*response)) : Value::Err(Value::String(response.error()));
    ordered_json recorded = ValueToJson(result);
    call->Complete(std::move(result), std::move(recorded), std::nullopt);
    finished->store(true);
  });
  state.transfers.push_back({std::move(thread), finished});
  return HostReturn::Later(call->op());
}

}  // namespace

Status DefineHttpClientInterface(Engine& engine) {
  return DefineAsyncActorFunction(
      engine, kHttpClient, "send-http",
      "func(record{method: string, uri: string, headers: list<tuple<string, string>>, body: option<list<u8>>}) -> "
      "result<record{status: u16, headers: list<tuple<string, string>>, body: option<list<u8>>}, string>",
      SendHttp);
}

}  // namespace theater::host
