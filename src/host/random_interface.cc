#include "host/random_interface.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstring>

#include "runtime/host_binding.h"

namespace theater::host {
namespace {

constexpr char kRandom[] = "theater:simple/random";
constexpr uint64_t kDefaultMaxBytes = 1 << 20;

using Args = std::vector<Value>;
using Out = Result<std::optional<Value>>;

// An actor's generator: splitmix64 from the manifest's seed, or OpenSSL's CSPRNG.
struct Generator {
  bool initialized = false;
  bool seeded = false;
  uint64_t state = 0;

  void Init(const nlohmann::json* settings) {
    initialized = true;
    if (settings && settings->contains("seed")) {
      seeded = true;
      state = (*settings)["seed"].get<uint64_t>();
    }
  }
  uint64_t Next() {
    if (!seeded) {
      uint64_t v;
      if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) v = 0;
      return v;
    }
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

Generator& GeneratorOf(ActorContext& actor) {
  Generator& g = actor.HostState<Generator>("random");
  if (!g.initialized) g.Init(actor.permissions().Settings("random"));
  return g;
}

uint64_t Setting(ActorContext& actor, const char* key, uint64_t fallback) {
  const nlohmann::json* s = actor.permissions().Settings("random");
  return s ? s->value(key, fallback) : fallback;
}

std::optional<Value> Err(const std::string& why) { return Value::Err(Value::String(why)); }

}  // namespace

Status DefineRandomInterface(Engine& engine) {
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, kRandom, "random-bytes", "func(u32) -> result<list<u8>, string>", [](ActorContext& a, Args& args) -> Out {
        uint64_t n = args.at(0).as_unsigned(), max = Setting(a, "max_bytes", kDefaultMaxBytes);
        if (n > max) return Err(std::to_string(n) + " random bytes is more than max_bytes (" + std::to_string(max) + ")");
        Bytes bytes(n);
        Generator& g = GeneratorOf(a);
        for (size_t i = 0; i < n; i += 8) {
          uint64_t v = g.Next();
          std::memcpy(bytes.data() + i, &v, std::min<size_t>(8, n - i));
        }
        return std::optional<Value>(Value::Ok(Value::BytesValue(std::move(bytes))));
      }));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, kRandom, "random-range", "func(u64, u64) -> result<u64, string>", [](ActorContext& a, Args& args) -> Out {
        uint64_t min = args.at(0).as_unsigned(), max = args.at(1).as_unsigned();
        if (min >= max) return Err("empty range: min " + std::to_string(min) + " is not below max " + std::to_string(max));
        uint64_t limit = Setting(a, "max_int", UINT64_MAX);
        if (max > limit) return Err("max " + std::to_string(max) + " is above max_int (" + std::to_string(limit) + ")");
        uint64_t span = max - min;
        // Rejection sampling: no bias towards small values.
        uint64_t bound = UINT64_MAX - UINT64_MAX % span;
        uint64_t v;
        Generator& g = GeneratorOf(a);
        do v = g.Next();
        while (v >= bound);
        return std::optional<Value>(Value::Ok(Value::U64(min + v % span)));
      }));
  THEATER_RETURN_IF_ERROR(DefineActorFunction(
      engine, kRandom, "random-float", "func() -> result<f64, string>", [](ActorContext& a, Args&) -> Out {
        double v = static_cast<double>(GeneratorOf(a).Next() >> 11) * 0x1.0p-53;  // [0, 1)
        return std::optional<Value>(Value::Ok(Value::F64(v)));
      }));
  return DefineActorFunction(
      engine, kRandom, "generate-uuid", "func() -> result<string, string>", [](ActorContext& a, Args&) -> Out {
        Generator& g = GeneratorOf(a);
        uint64_t hi = g.Next(), lo = g.Next();
        unsigned char b[16];
        std::memcpy(b, &hi, 8);
        std::memcpy(b + 8, &lo, 8);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        char text[37];
        std::snprintf(text, sizeof text,
                      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                      b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
        return std::optional<Value>(Value::Ok(Value::String(text)));
      });
}

}  // namespace theater::host
