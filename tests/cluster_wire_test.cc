// The cluster's wire forms against hostile or damaged input: a sealed message with a
// byte changed, for another subject, too old, or not CBOR; an envelope or a manifest
// whose fields are missing, of the wrong type, or of a kind that must not travel.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>

#include "cluster/envelope_wire.h"
#include "cluster/manifest_wire.h"
#include "cluster/sealed_message.h"
#include "common/sha256.h"

namespace theater::cluster {
namespace {

TEST(MessageSeal, OpensWhatItSealedAndNothingElse) {
  MessageSeal seal("secret");
  Bytes sealed = seal.Seal("theater.node.a", {{"t", "ping"}});
  auto opened = seal.Open("theater.node.a", sealed);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ((*opened)["t"], "ping");

  EXPECT_NE(seal.Open("theater.node.b", sealed).error().find("bad MAC"), std::string::npos);  // another subject
  EXPECT_NE(MessageSeal("other").Open("theater.node.a", sealed).error().find("bad MAC"), std::string::npos);
  for (size_t i = 0; i < sealed.size(); i += 7) {  // any byte changed
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    EXPECT_FALSE(seal.Open("theater.node.a", tampered).ok()) << "byte " << i;
  }
  EXPECT_FALSE(seal.Open("theater.node.a", Bytes(10, 0)).ok());                   // too short
  EXPECT_FALSE(seal.Open("theater.node.a", ToBytes(std::string(64, 'x'))).ok());  // no MAC at all
}

// Seals `body` as a node would, but with whatever timestamp the body carries: the MAC
// scheme of cluster/sealed_message.h, written out here (a key from the secret, HMAC over
// subject, a zero byte, and the CBOR).
Bytes SealByHand(const std::string& secret, const std::string& subject, const json& body) {
  Hash key = Sha256(ToBytes("theater-cluster-v1:" + secret));
  std::vector<uint8_t> cbor = json::to_cbor(body);
  Bytes input(subject.begin(), subject.end());
  input.push_back(0);
  input.insert(input.end(), cbor.begin(), cbor.end());
  Bytes sealed(32);
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), key.size(), input.data(), input.size(), sealed.data(), &len);
  sealed.insert(sealed.end(), cbor.begin(), cbor.end());
  return sealed;
}

TEST(MessageSeal, RefusesAnOldMessageAndOneThatIsNotAMap) {
  MessageSeal seal("secret");
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_TRUE(seal.Open("s", SealByHand("secret", "s", {{"t", "x"}, {"ts", now}})).ok());  // the scheme is right
  EXPECT_NE(seal.Open("s", SealByHand("secret", "s", {{"t", "x"}, {"ts", now - 120'000}})).error().find("away from now"),
            std::string::npos);  // recorded two minutes ago: a replay
  EXPECT_FALSE(seal.Open("s", SealByHand("secret", "s", {{"t", "x"}, {"ts", now + 120'000}})).ok());
  EXPECT_NE(seal.Open("s", SealByHand("secret", "s", json::array({1, 2}))).error().find("not a CBOR map"),
            std::string::npos);
  // Sealed right, but not CBOR.
  Hash key = Sha256(ToBytes("theater-cluster-v1:secret"));
  Bytes input = {'s', 0, 0xff, 0xff};
  Bytes sealed(32);
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), key.size(), input.data(), input.size(), sealed.data(), &len);
  sealed.insert(sealed.end(), {0xff, 0xff});
  EXPECT_FALSE(seal.Open("s", sealed).ok());
}

TEST(EnvelopeWire, RoundTripsAndRefusesWhatMustNotTravel) {
  Envelope e{Envelope::Kind::kRequest, ToBytes("hello"), "req-1", Cause{"actor-a", Hash{}}};
  e.cause->event[0] = 7;
  e.wait_path = std::make_shared<const WaitLink>(WaitLink{"b", std::make_shared<const WaitLink>(WaitLink{"a", nullptr})});
  auto back = EnvelopeFromWire(EnvelopeToWire(e));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->kind, Envelope::Kind::kRequest);
  EXPECT_EQ(ToString(back->payload), "hello");
  EXPECT_EQ(back->cause->event[0], 7);
  ASSERT_TRUE(back->wait_path);
  EXPECT_EQ(back->wait_path->actor, "b");  // the newest first, as it was
  ASSERT_TRUE(back->wait_path->next);
  EXPECT_EQ(back->wait_path->next->actor, "a");

  json wire = EnvelopeToWire(e);
  wire["k"] = static_cast<int>(Envelope::Kind::kChildError);  // notices stay on their node
  EXPECT_NE(EnvelopeFromWire(wire).error().find("does not travel"), std::string::npos);
  wire["k"] = -1;
  EXPECT_FALSE(EnvelopeFromWire(wire).ok());
  wire = EnvelopeToWire(e);
  wire["p"] = "not bytes";
  EXPECT_FALSE(EnvelopeFromWire(wire).ok());
  wire = EnvelopeToWire(e);
  wire["c"]["e"] = json::binary_t(std::vector<uint8_t>(5, 0));  // a hash of 5 bytes
  EXPECT_NE(EnvelopeFromWire(wire).error().find("5 bytes"), std::string::npos);
  EXPECT_FALSE(EnvelopeFromWire(json::object()).ok());
}

TEST(ManifestWire, RoundTripsAndAnActorsManifestNeedsItsBytes) {
  Manifest m;
  m.file = "/m/child.toml";
  m.base_dir = "/m";
  m.name = "child";
  m.version = "1";
  m.component = "child.wasm";
  m.component_path = "/m/child.wasm";
  m.node = "b";
  m.handlers.push_back({"runtime", nlohmann::json::object()});
  m.handlers.push_back({"filesystem", {{"path", "/data"}, {"read_only", true}}});
  m.limits.fuel_per_call = 123;
  m.named_by_actor = true;
  m.component_bytes = std::make_shared<const Bytes>(ToBytes("\0asm"));
  auto wire = ManifestToWire(m);
  ASSERT_TRUE(wire.ok()) << wire.error();
  auto back = ManifestFromWire(*wire);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->name, "child");
  EXPECT_EQ(back->node, "b");
  EXPECT_EQ(back->limits.fuel_per_call, 123u);
  ASSERT_EQ(back->handlers.size(), 2u);
  EXPECT_EQ(back->handlers[1].settings["path"], "/data");
  ASSERT_TRUE(back->component_bytes);
  EXPECT_EQ(*back->component_bytes, *m.component_bytes);

  // Without its bytes, an actor's manifest would make the node read a file by path.
  json stripped = *wire;
  stripped.erase("component_bytes");
  EXPECT_NE(ManifestFromWire(stripped).error().find("bytes are missing"), std::string::npos);
  json bad = *wire;
  bad["limits"] = json::array({1, 2});
  EXPECT_FALSE(ManifestFromWire(bad).ok());
  bad = *wire;
  bad["handlers"] = "runtime";
  EXPECT_FALSE(ManifestFromWire(bad).ok());

  m.component_path.clear();  // a store:// component has no bytes to send
  m.component = "store://abc";
  EXPECT_NE(ManifestToWire(m).error().find("content store"), std::string::npos);

  auto grants = PermissionsFromWire(PermissionsToWire(Permissions::FromGrants({{"runtime", nlohmann::json::object()}})));
  ASSERT_TRUE(grants.ok());
  EXPECT_TRUE(grants->Allows("runtime"));
  EXPECT_FALSE(grants->Allows("filesystem"));
  EXPECT_FALSE(PermissionsFromWire(json::array()).ok());
}

}  // namespace
}  // namespace theater::cluster
