#include "chain/chain_image.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <map>

#include "chain/byte_io.h"
#include "chain/event_data.h"
#include "common/files.h"

namespace theater {

namespace {

bool HasMagic(std::span<const uint8_t> data, const char* magic) {
  return data.size() >= 8 && std::memcmp(data.data(), magic, 8) == 0;
}

// The actor id and component hash that event 0 (theater/actor-started) records.
struct StartedFacts {
  std::string actor_id, component_sha256;
};
// Only the first record is read: the header and one record form a chain of one event.
std::optional<StartedFacts> ReadStarted(std::span<const uint8_t> chain) {
  if (chain.size() < 12) return std::nullopt;
  ByteReader r(chain.subspan(8, 4));
  uint64_t len = r.Uint(4);
  if (len > chain.size() - 12) return std::nullopt;
  std::vector<ChainEvent> first;
  VerifyChainBytes(chain.first(12 + len), &first);
  if (first.empty() || first[0].type != "theater/actor-started") return std::nullopt;
  auto data = DecodeEventData(first[0].data);
  if (!data.is_object()) return std::nullopt;
  StartedFacts facts;
  if (auto it = data.find("actor_id"); it != data.end() && it->is_string()) facts.actor_id = *it;
  if (auto it = data.find("component_sha256"); it != data.end() && it->is_string()) facts.component_sha256 = *it;
  return facts;
}

}  // namespace

std::filesystem::path CheckpointPathFor(const std::filesystem::path& chain_path) {
  std::filesystem::path p = chain_path;
  return p.replace_extension(".checkpoints");
}

Result<ChainImage> ReadChainImage(const std::filesystem::path& path) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  if (HasMagic(*data, kExportFileMagicV1))
    return Status::Error(path.string() + ": an export of format 1 (THEXPRT1), written by an older Theater that "
                                         "recorded states inline; this Theater reads format 2 (THEXPRT2) only");
  if (HasMagic(*data, kExportFileMagic)) {
    auto image = DecodeExport(*data);
    if (!image.ok()) return image.status().WithContext(path.string());
    image->path = path;
    return image;
  }
  ChainImage image;
  image.path = path;
  image.actor_id = path.stem().string();
  image.chain = std::move(*data);
  std::error_code ec;
  std::filesystem::path checkpoints = CheckpointPathFor(path);
  if (std::filesystem::exists(checkpoints, ec)) {
    auto cp = ReadFile(checkpoints);
    if (!cp.ok()) return cp.status();
    image.checkpoints = std::move(*cp);
  }
  return image;
}

Result<std::unique_ptr<SnapshotFile>> OpenSnapshots(const ChainImage& image) {
  // An image in memory (an export's, or one made without a file) has its snapshots with it.
  if (image.exported || image.snapshots || image.path.empty())
    return SnapshotFile::FromBytes(image.snapshots.value_or(EncodeSnapshotFileHeader()),
                                   image.path.empty() ? "the snapshots" : image.path.string() + " (its snapshots)");
  return SnapshotFile::Open(SnapshotPathFor(image.path));
}

Bytes EncodeExport(const ChainImage& image) {
  Bytes out(kExportFileMagic, kExportFileMagic + 8);
  auto section = [&](char tag, std::span<const uint8_t> content) {
    out.push_back(static_cast<uint8_t>(tag));
    PutUint(out, content.size(), 8);
    PutBytes(out, content);
  };
  section('A', ToBytes(image.actor_id));
  section('H', ToBytes(image.component_sha256));
  section('C', image.chain);
  if (image.checkpoints) section('K', *image.checkpoints);
  if (image.snapshots) section('S', *image.snapshots);
  if (image.component) section('W', *image.component);
  return out;
}

Result<ChainImage> DecodeExport(std::span<const uint8_t> file) {
  if (!HasMagic(file, kExportFileMagic)) return Status::Error("not an export (missing THEXPRT1 header)");
  ByteReader r(file.subspan(8));
  std::map<char, std::span<const uint8_t>> sections;
  while (!r.done()) {
    size_t offset = 8 + r.pos();
    if (!r.Need(9)) return Status::Error("section at byte offset " + std::to_string(offset) + " is cut short");
    char tag = static_cast<char>(r.Uint(1));
    uint64_t len = r.Uint(8);
    if (std::string_view("AHCKSW").find(tag) == std::string_view::npos)
      return Status::Error("unknown section tag 0x" + ToHex(std::span<const uint8_t>(reinterpret_cast<uint8_t*>(&tag), 1)) +
                           " at byte offset " + std::to_string(offset));
    if (!r.Need(len))
      return Status::Error(std::string("section '") + tag + "' at byte offset " + std::to_string(offset) +
                           " is cut short: needs " + std::to_string(len) + " bytes, has " + std::to_string(r.left()));
    if (!sections.emplace(tag, r.Take(len)).second)
      return Status::Error(std::string("section '") + tag + "' appears twice");
  }
  for (char required : {'A', 'H', 'C'})
    if (!sections.count(required)) return Status::Error(std::string("section '") + required + "' is missing");
  if (!IsValidUtf8(sections['A'])) return Status::Error("section 'A': the actor id is not valid UTF-8");
  ChainImage image;
  image.exported = true;
  image.actor_id = ToString(sections['A']);
  image.component_sha256 = ToString(sections['H']);
  image.chain.assign(sections['C'].begin(), sections['C'].end());
  if (sections.count('K')) image.checkpoints = Bytes(sections['K'].begin(), sections['K'].end());
  if (sections.count('S')) image.snapshots = Bytes(sections['S'].begin(), sections['S'].end());
  if (sections.count('W')) image.component = Bytes(sections['W'].begin(), sections['W'].end());
  return image;
}

ChainVerification VerifyChainImage(const ChainImage& image, const VerifyOptions& options,
                                   std::vector<ChainEvent>* events_out, std::vector<Hash>* hashes_out) {
  ChainVerification v;
  std::vector<Hash> hashes;
  std::vector<ChainEvent> events;
  v.chain = VerifyChainBytes(image.chain, &events, &hashes);
  if (v.chain.ok) {
    // Every state the chain names must be in its snapshots, with its digest and size.
    auto snapshots = OpenSnapshots(image);
    if (!snapshots.ok()) {
      v.problems.push_back("snapshots: " + snapshots.error());
    } else {
      // (A record cut short at its end is a write in progress or cut by a crash: no event
      // names it, and it is not a failure.)
      v.snapshots = VerifyStateSnapshots(events, **snapshots);
    }
  }
  if (events_out) events_out->insert(events_out->end(), std::make_move_iterator(events.begin()),
                                     std::make_move_iterator(events.end()));
  std::optional<StartedFacts> started = ReadStarted(image.chain);
  v.actor_id = started ? started->actor_id : image.actor_id;
  if (image.exported) {
    if (!started)
      v.problems.push_back("the export's chain does not begin with theater/actor-started");
    else if (started->actor_id != image.actor_id)
      v.problems.push_back("the export names actor " + image.actor_id + ", its chain is actor " + started->actor_id + "'s");
    else if (started->component_sha256 != image.component_sha256)
      v.problems.push_back("the export names component SHA-256 " + image.component_sha256 + ", its chain recorded " +
                           started->component_sha256);
    if (image.component) {
      std::string actual = ToHex(Sha256(*image.component));
      if (actual != image.component_sha256)
        v.problems.push_back("the component in the export has SHA-256 " + actual + ", not " + image.component_sha256);
    }
  }
  // A chain asked for by id must be that actor's: a file is only named after it. (An empty
  // chain names nobody; what it lacks is for checkpoints and heads to tell.)
  if (!options.expected_actor_id.empty() && !hashes.empty()) {
    if (!started)
      v.problems.push_back("the chain does not begin with a readable theater/actor-started, so it is not actor " +
                           options.expected_actor_id + "'s");
    else if (started->actor_id != options.expected_actor_id)
      v.problems.push_back("the chain is actor " + started->actor_id + "'s, not " + options.expected_actor_id + "'s");
  }
  uint64_t signed_covered = 0;
  if (image.checkpoints) {
    auto file = ParseCheckpointFile(*image.checkpoints);
    if (!file.ok()) {
      v.problems.push_back("checkpoints: " + file.error());
    } else {
      if (file->actor_id != v.actor_id)
        v.problems.push_back("the checkpoints are actor " + file->actor_id + "'s, the chain is actor " + v.actor_id + "'s");
      if (!file->torn.empty()) v.problems.push_back("checkpoints: " + file->torn);
      v.checkpoints = VerifyCheckpoints(*file, hashes, options.required_signer);
      if (v.checkpoints->ok) signed_covered = v.checkpoints->signed_covered;
      v.checkpoint_file = std::move(*file);
    }
  } else if (options.required_signer) {
    v.problems.push_back("the chain has no checkpoints, so nothing is signed by the key");
  }
  v.unsigned_events = hashes.size() - std::min<uint64_t>(signed_covered, hashes.size());
  if (options.required_signer && !options.allow_unsigned_tail && v.unsigned_events > 0 && signed_covered > 0)
    v.problems.push_back(std::to_string(v.unsigned_events) + " events (" + std::to_string(signed_covered) + " to " +
                         std::to_string(hashes.size() - 1) +
                         ") are covered by no signature: the last signed checkpoint covers the first " +
                         std::to_string(signed_covered));
  if (options.expected_head) {
    std::vector<std::string> head = CheckAgainstHead(*options.expected_head, v.actor_id, hashes, options.required_signer);
    v.head_matched = head.empty();
    v.problems.insert(v.problems.end(), head.begin(), head.end());
  }
  if (hashes_out) *hashes_out = std::move(hashes);
  return v;
}

ChainVerification VerifyChainImage(const ChainImage& image, const std::optional<Ed25519PublicKey>& required_signer,
                                   std::vector<ChainEvent>* events_out, std::vector<Hash>* hashes_out) {
  VerifyOptions options;
  options.required_signer = required_signer;
  return VerifyChainImage(image, options, events_out, hashes_out);
}

std::string FirstProblem(const ChainVerification& v) {
  if (!v.chain.ok)
    return "event " + std::to_string(v.chain.bad_seq.value_or(v.chain.events)) + ": " + v.chain.reason;
  if (!v.problems.empty()) return v.problems.front();
  if (v.snapshots && !v.snapshots->ok)
    return "event " + std::to_string(v.snapshots->bad_seq.value_or(0)) + ": " + v.snapshots->reason;
  if (v.checkpoints && !v.checkpoints->ok) return v.checkpoints->reason;
  return "";
}

Result<VerifiedChain> ReadVerifiedChain(const std::filesystem::path& path, const std::string& expected_actor_id) {
  auto image = ReadChainImage(path);
  if (!image.ok()) return image.status();
  VerifiedChain out;
  VerifyOptions options;
  options.expected_actor_id = expected_actor_id;
  ChainVerification v = VerifyChainImage(*image, options, &out.events);
  if (!v.ok()) return Status::Error(path.string() + " does not verify: " + FirstProblem(v));
  auto snapshots = OpenSnapshots(*image);
  if (!snapshots.ok()) return snapshots.status();
  out.snapshots = std::move(*snapshots);
  out.image = std::move(*image);
  return out;
}

}  // namespace theater
