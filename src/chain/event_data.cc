#include "chain/event_data.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace theater {

namespace {

// The head of a tag kBytesRefTag, and of the 40-byte string under it.
constexpr uint8_t kBytesRefHead[] = {0xda, 0x54, 0x48, 0x42, 0x31, 0x58, kBytesRefSize};
static_assert((uint64_t{kBytesRefHead[1]} << 24 | uint64_t{kBytesRefHead[2]} << 16 | uint64_t{kBytesRefHead[3]} << 8 |
               kBytesRefHead[4]) == kBytesRefTag,
              "the head spells the tag CborWriter writes");

StateRef DecodeBytesRef(const uint8_t* p) {
  StateRef ref;
  std::copy(p, p + 32, ref.sha256.begin());
  for (int i = 0; i < 8; ++i) ref.size = ref.size << 8 | p[32 + i];
  return ref;
}

template <typename Json>
std::optional<StateRef> RefIn(const Json& value) {
  if (!value.is_binary()) return std::nullopt;
  const auto& b = value.get_binary();
  if (!b.has_subtype() || b.subtype() != kBytesRefTag || b.size() != kBytesRefSize) return std::nullopt;
  return DecodeBytesRef(b.data());
}

}  // namespace

std::optional<StateRef> BytesRefIn(const nlohmann::json& value) { return RefIn(value); }
std::optional<StateRef> BytesRefIn(const nlohmann::ordered_json& value) { return RefIn(value); }

bool MayNameBytesByRef(std::span<const uint8_t> data) {
  return std::search(data.begin(), data.end(), std::begin(kBytesRefHead), std::begin(kBytesRefHead) + 5) != data.end();
}

std::string CheckEventData(std::span<const uint8_t> data, std::vector<StateRef>* refs) {
  // The items each open container still expects: a count, or kIndefinite until a break.
  constexpr uint64_t kIndefinite = UINT64_MAX;
  std::vector<uint64_t> open;
  size_t pos = 0;
  bool whole = false;  // the top-level item is complete
  // An item is complete: it counts down its container, which may complete in turn.
  auto complete = [&] {
    for (;;) {
      if (open.empty()) {
        whole = true;
        return;
      }
      if (open.back() == kIndefinite || --open.back() > 0) return;
      open.pop_back();
    }
  };
  auto push = [&](uint64_t items) -> bool {
    if (open.size() >= kMaxEventDataDepth) return false;
    if (items == 0) complete();
    else open.push_back(items);
    return true;
  };
  const std::string too_deep = "nested deeper than " + std::to_string(kMaxEventDataDepth) + " levels";
  while (!whole) {
    if (pos >= data.size()) return "cut short at byte " + std::to_string(pos);
    size_t at = pos;
    uint8_t initial = data[pos++];
    int major = initial >> 5, info = initial & 0x1f;
    uint64_t value = info;
    bool indefinite = info == 31;
    if (info >= 24 && info <= 27) {
      size_t n = size_t{1} << (info - 24);
      if (n > data.size() - pos) return "cut short at byte " + std::to_string(pos);
      value = 0;
      for (size_t i = 0; i < n; ++i) value = value << 8 | data[pos++];
    } else if (info >= 28 && info <= 30) {
      return "reserved additional information " + std::to_string(info) + " at byte " + std::to_string(at);
    }
    size_t left = data.size() - pos;
    switch (major) {
      case 0:
      case 1:
        if (indefinite) return "an integer of indefinite length at byte " + std::to_string(at);
        complete();
        break;
      case 2:
      case 3:  // byte and text strings; an indefinite one is a container of chunks
        if (indefinite) {
          if (!push(kIndefinite)) return too_deep;
        } else {
          if (value > left) return "a string at byte " + std::to_string(at) + " runs past the end";
          pos += value;
          complete();
        }
        break;
      case 4:  // every item takes at least one byte
        if (!indefinite && value > left) return "an array at byte " + std::to_string(at) + " declares more items than bytes";
        if (!push(indefinite ? kIndefinite : value)) return too_deep;
        break;
      case 5:
        if (!indefinite && value > left / 2) return "a map at byte " + std::to_string(at) + " declares more items than bytes";
        if (!push(indefinite ? kIndefinite : 2 * value)) return too_deep;
        break;
      case 6:  // only a byte string by reference: the tag over exactly 40 bytes
        if (initial != kBytesRefHead[0] || value != kBytesRefTag)
          return "a tag at byte " + std::to_string(at) + " (event data uses none but " + std::to_string(kBytesRefTag) + ")";
        if (left < 2 + kBytesRefSize || data[pos] != kBytesRefHead[5] || data[pos + 1] != kBytesRefSize)
          return "the tag at byte " + std::to_string(at) + " is not over a 40-byte string";
        if (refs) refs->push_back(DecodeBytesRef(&data[pos + 2]));
        pos += 2 + kBytesRefSize;
        complete();
        break;
      default:  // 7: simple values, floats, and the break that ends an indefinite item
        if (indefinite) {
          if (open.empty() || open.back() != kIndefinite) return "a stray break at byte " + std::to_string(at);
          open.pop_back();
        }
        complete();
        break;
    }
  }
  if (pos != data.size()) return "trailing bytes after the item, from byte " + std::to_string(pos);
  return "";
}

template <typename Json>
static Json Decode(std::span<const uint8_t> data) {
  if (!CheckEventData(data).empty()) return Json(Json::value_t::discarded);
  try {
    return Json::from_cbor(data.begin(), data.end(), /*strict=*/true, /*allow_exceptions=*/false,
                           nlohmann::json::cbor_tag_handler_t::store);
  } catch (const std::exception&) {  // nothing checked above should get here
    return Json(Json::value_t::discarded);
  }
}

nlohmann::json DecodeEventData(std::span<const uint8_t> data) { return Decode<nlohmann::json>(data); }
nlohmann::ordered_json DecodeEventDataOrdered(std::span<const uint8_t> data) {
  return Decode<nlohmann::ordered_json>(data);
}

}  // namespace theater
