// theater chain prove CHAIN SEQ [--size N] [--out FILE]
// theater chain verify-proof PROOF [--public-key KEY] [--root HEX] [--json]
#include <iostream>
#include <iterator>

#include "chain/inclusion_proof.h"
#include "cli/chain_files.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "common/files.h"

namespace theater::cli {
namespace {

// What the root of a proof is, when it is not a signed checkpoint's: with --size, the tree
// of that many events (which no checkpoint has); else the whole chain (no checkpoint
// covers the event yet).
std::string ProofNote(const InclusionProof& proof, std::span<const Checkpoint> checkpoints, bool sized,
                      uint64_t events) {
  std::string n = std::to_string(proof.tree_size);
  if (proof.checkpoint)
    return proof.checkpoint->signer ? "" : "the checkpoint at tree size " + n + " is not signed (the data directory "
                                                                               "had no key: theater chain keygen)";
  if (!sized)
    return "no checkpoint covers event " + std::to_string(proof.seq) + " yet; the root is the whole chain's (" +
           std::to_string(events) + " events), unsigned";
  std::string sizes;
  for (size_t i = 0; i < checkpoints.size() && i < 8; ++i) sizes += (i ? ", " : "") + std::to_string(checkpoints[i].tree_size);
  if (checkpoints.size() > 8) sizes += ", ... (" + std::to_string(checkpoints.size()) + " in all)";
  return "no checkpoint has tree size " + n + " (" +
         (checkpoints.empty() ? "the chain has none" : "the chain's checkpoints have tree sizes " + sizes) +
         "); the root is of the first " + n + " events, unsigned";
}

int Prove(const std::string& target, uint64_t seq, std::optional<uint64_t> size, const std::string& out_path,
          const GlobalOptions& global) {
  auto chain = ReadVerifiedChainImage(target, global);
  if (!chain.ok()) {
    std::fprintf(stderr, "theater chain prove: %s\n", chain.error().c_str());
    return kExitUsage;
  }
  std::vector<Checkpoint> checkpoints;
  std::string actor_id = chain->image.actor_id;
  if (chain->image.checkpoints) {
    auto file = ParseCheckpointFile(*chain->image.checkpoints);
    if (file.ok()) {
      checkpoints = file->checkpoints;
      actor_id = file->actor_id;  // the id its signatures cover
    }
  }
  auto proof = ProveInclusion(actor_id, chain->events, checkpoints, seq, size);
  if (!proof.ok()) {
    std::fprintf(stderr, "theater chain prove: %s\n", proof.error().c_str());
    return kExitUsage;
  }
  // Replaced, never thrown: a chain given by path names its actor after the file.
  std::string text = InclusionProofToJson(*proof).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (out_path.empty() || out_path == "-") {
    std::fputs(text.c_str(), stdout);
  } else if (Status s = WriteFileAtomic(out_path, ToBytes(text)); !s.ok()) {
    std::fprintf(stderr, "theater chain prove: %s\n", s.message().c_str());
    return kExitUsage;
  }
  std::string note = ProofNote(*proof, checkpoints, size.has_value(), chain->events.size());
  if (!note.empty()) std::fprintf(stderr, "note: %s\n", note.c_str());
  return kExitOk;
}

int VerifyProof(const std::string& proof_path, const std::string& public_key, const std::string& root, bool json) {
  Output out(json);
  auto usage = [&](const std::string& why) {
    if (json) out.Json({{"ok", false}, {"error", why}});
    else std::fprintf(stderr, "theater chain verify-proof: %s\n", why.c_str());
    return kExitUsage;
  };
  std::string text;
  if (proof_path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto data = ReadFile(proof_path, kMaxSmallFileBytes);
    if (!data.ok()) return usage(data.error());
    text = ToString(*data);
  }
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return usage(proof_path + ": not JSON");
  auto proof = InclusionProofFromJson(parsed);
  if (!proof.ok()) return usage(proof_path + ": " + proof.error());
  std::optional<Ed25519PublicKey> key;
  if (!public_key.empty()) {
    auto k = ReadEd25519PublicKey(public_key);
    if (!k.ok()) return usage("--public-key: " + k.error());
    key = *k;
  }
  std::optional<Hash> trusted_root;
  if (!root.empty()) {
    auto bytes = FromHex(root);
    if (!bytes || bytes->size() != 32) return usage("--root must be 64 hex digits");
    trusted_root.emplace();
    std::copy(bytes->begin(), bytes->end(), trusted_root->begin());
  }
  ProofCheck check = CheckInclusionProof(*proof, key, trusted_root);
  // Consistent is not enough: anyone can make a consistent proof (and sign it with a key of
  // their own) for an event that never happened. Only a key or root given here vouches.
  bool trusted = check.ok && check.trusted;
  std::string untrusted =
      "not trusted: the proof is consistent, but nothing vouches for its root" +
      (check.root_signed ? " (it is signed by Ed25519 key " + ToHex(*proof->checkpoint->signer) +
                               ", which you have not said you trust)"
                         : std::string()) +
      "; give --public-key with a key you trust, or --root with a root you already have";
  if (json) {
    nlohmann::ordered_json j = {{"ok", trusted}, {"consistent", check.ok}, {"trusted", trusted},
                                {"actor_id", proof->actor_id}, {"seq", proof->seq},
                                {"tree_size", proof->tree_size}, {"root", ToHex(proof->root)},
                                {"root_signed", check.root_signed}};
    if (check.ok) j["event"] = {{"type", check.event.type}, {"hash", ToHex(check.event.hash)},
                                {"timestamp_ms", check.event.timestamp_ms}, {"data", ReadableData(check.event.data)}};
    if (!check.ok) j["reason"] = check.reason;
    else if (!trusted) j["reason"] = untrusted;
    out.Json(j);
    return trusted ? kExitOk : kExitActorFailed;
  }
  if (!check.ok) {
    std::printf("FAILED: %s\n", check.reason.c_str());
    return kExitActorFailed;
  }
  if (!trusted) {
    std::printf("%s\n", untrusted.c_str());
    std::printf("  it claims: event %llu (%s, %s) of actor %s is in its first %llu events, Merkle root %s\n",
                static_cast<unsigned long long>(proof->seq), check.event.type.c_str(),
                FormatTime(check.event.timestamp_ms).c_str(), proof->actor_id.c_str(),
                static_cast<unsigned long long>(proof->tree_size), ToHex(proof->root).c_str());
    return kExitActorFailed;
  }
  std::printf("proof OK: event %llu (%s, %s) of actor %s is in its first %llu events, Merkle root %s\n",
              static_cast<unsigned long long>(proof->seq), check.event.type.c_str(),
              FormatTime(check.event.timestamp_ms).c_str(), proof->actor_id.c_str(),
              static_cast<unsigned long long>(proof->tree_size), ToHex(proof->root).c_str());
  if (key)
    std::printf("root signed by Ed25519 key %s (the key given) at %s\n", ToHex(*proof->checkpoint->signer).c_str(),
                FormatTime(proof->checkpoint->timestamp_ms).c_str());
  if (trusted_root) std::printf("root is the trusted root given\n");
  std::printf("event data: %s\n",
              ReadableData(check.event.data).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return kExitOk;
}

}  // namespace

void AddChainProofCommands(CLI::App& chain, const GlobalOptions& global, int& exit_code) {
  struct ProveArgs {
    std::string target, out;
    uint64_t seq = 0;
    std::optional<uint64_t> size;
  };
  auto p = std::make_shared<ProveArgs>();
  CLI::App* prove = chain.add_subcommand(
      "prove",
      "Print an inclusion proof (JSON) that event SEQ is in the chain: the event, the Merkle\n"
      "root of a checkpoint (by default the last one covering it; else the whole chain) and\n"
      "the audit path between them (RFC 6962), with the checkpoint's signature when signed.\n"
      "Anyone can check it with `theater chain verify-proof`, without the chain.");
  prove->add_option("chain", p->target, "An actor id (its chain in the data directory), a chain file or an export")
      ->required();
  prove->add_option("seq", p->seq, "The event's sequence number")->required();
  prove->add_option("--size", p->size, "Prove against the tree of the first N events (a checkpoint's tree size)");
  prove->add_option("--out", p->out, "Write the proof to this file instead of standard output");
  prove->footer("Example:\n  theater chain prove 0d9c6f1e-2b6f-4a53-9a51-5f1e2b4f7c10 12 --out event12.proof.json\n"
                "Exit status: 0 proof written, 2 no such chain or event, or the chain does not verify.");
  prove->callback([p, &global, &exit_code] { exit_code = Prove(p->target, p->seq, p->size, p->out, global); });

  struct CheckArgs {
    std::string proof, public_key, root;
    bool json = false;
  };
  auto c = std::make_shared<CheckArgs>();
  CLI::App* check = chain.add_subcommand(
      "verify-proof",
      "Check an inclusion proof on its own: the event's hash, the audit path up to the root,\n"
      "and the checkpoint's signature, against a key or root you trust. Prints the event when\n"
      "the proof holds.");
  check->add_option("proof", c->proof, "The proof file (JSON, from `theater chain prove`), or - for standard input")
      ->required();
  check->add_option("--public-key", c->public_key,
                    "Require the root to be signed by this Ed25519 key (64 hex digits or a PEM file)");
  check->add_option("--root", c->root, "Require the root to be this one (64 hex digits), e.g. one published earlier");
  check->add_flag("--json", c->json, "Print one JSON object");
  check->footer("Example:\n  theater chain verify-proof event12.proof.json --public-key ~/.theater/keys/checkpoint.pub\n"
                "Without --public-key or --root a proof is only consistent, not trusted: exit status 1.\n"
                "Exit status: 0 the proof holds and is trusted, 1 it does not or is not trusted, 2 unreadable\n"
                "proof or key.");
  check->callback([c, &exit_code] { exit_code = VerifyProof(c->proof, c->public_key, c->root, c->json); });
}

}  // namespace theater::cli
