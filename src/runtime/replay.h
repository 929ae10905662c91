// Deterministic replay: runs a component again on the inputs its chain recorded, and checks
// that it produces the same chain, hash for hash.
//
// The replay starts a fresh instance, re-issues every recorded export call with its
// recorded parameters, and answers every host call from the recorded results, after
// checking that the call and its arguments are the recorded ones; the outside world is not
// touched. Every event it produces carries the recorded timestamp, so an identical
// behaviour gives identical hashes. The first event whose hash differs is the divergence.
// With another build of the component (on purpose, `component`), this shows exactly where
// the new code behaves differently.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chain/event.h"
#include "chain/snapshot_source.h"

namespace theater {

struct ReplayOptions {
  // Another build of the component to run instead of the recorded one; without it, the
  // component the chain's manifest names must be the recorded one (same SHA-256).
  std::optional<std::filesystem::path> component;
  // Where the recorded build is, when not at the path the chain names (e.g. unpacked from
  // an export); its SHA-256 must still be the recorded one.
  std::optional<std::filesystem::path> recorded_component;
  std::filesystem::path cache_dir;  // compiled components (optional)
  // The recorded states' bytes (the chain's snapshot file, an export's snapshots). A
  // replay reads the states it starts from (initial, restarted, resumed) here, and checks
  // every recorded state's snapshot against the state the replay computed. Without it, a
  // chain whose replay must start from a recorded state cannot be replayed.
  const SnapshotSource* snapshots = nullptr;
};

struct ReplayDivergence {
  uint64_t seq = 0;
  std::string why;
  std::optional<ChainEvent> recorded;  // none when the replay made more events
  std::optional<ChainEvent> replayed;  // none when the replay stopped short
};

struct ReplayReport {
  bool identical = false;
  uint64_t events = 0;            // events replayed identically
  std::optional<Hash> head;       // of the replayed chain
  std::string component_sha256;   // of the component that ran
  bool same_component = true;     // it is the recorded build
  std::optional<ReplayDivergence> divergence;
  std::string error;              // the replay could not run at all
  double seconds = 0;             // replay time
  double recorded_seconds = 0;    // time between the first and the last recorded event
};

ReplayReport Replay(const std::vector<ChainEvent>& recorded, const ReplayOptions& options);

}  // namespace theater
