#include <gtest/gtest.h>

#include "common/base64.h"
#include "common/bytes.h"
#include "common/sha256.h"
#include "common/uuid.h"

namespace theater {
namespace {

TEST(Hex, RoundTrips) {
  Bytes b = {0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(ToHex(b), "007f80ff");
  EXPECT_EQ(FromHex("007F80ff").value(), b);
  EXPECT_FALSE(FromHex("abc").has_value());
  EXPECT_FALSE(FromHex("zz").has_value());
}

TEST(Utf8, AcceptsValidAndRejectsInvalid) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xf0\x9f\x8e\xad"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

TEST(Base64, RoundTripsEveryLengthAndMatchesRfc4648) {
  // RFC 4648 section 10's test vectors.
  const char* vectors[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(ToBytes(plain)), encoded);
    EXPECT_EQ(Base64Decode(encoded), ToBytes(plain)) << encoded;
  }
  Bytes b;
  for (size_t n = 0; n < 70; ++n) {
    auto back = Base64Decode(Base64Encode(b));
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, b);
    b.push_back(static_cast<uint8_t>(n * 37 + 11));
  }
}

TEST(Base64, RefusesAllButCanonicalText) {
  // Wrong length, characters outside the alphabet, whitespace, misplaced padding, and
  // non-zero bits under the padding (another spelling of the same bytes).
  for (const char* text : {"Zg", "Zg=", "Zg===", "Z===", "====", " Zg==", "Zg==\n", "Zg =", "Zm9v\nYg==", "Zg==Zg==",
                           "Z=g=", "Zh==", "Zm9=", "Zm-v", "Zm_v", "Zm9\x80"})
    EXPECT_FALSE(Base64Decode(text)) << text;
}

TEST(Sha256, MatchesKnownVector) {
  EXPECT_EQ(ToHex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Uuid, IsVersion4AndUnique) {
  std::string a = NewUuidV4(), b = NewUuidV4();
  EXPECT_TRUE(IsUuid(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_FALSE(IsUuid("not-a-uuid"));
}

}  // namespace
}  // namespace theater
