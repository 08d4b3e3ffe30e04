#include "shield/util/base64.hpp"

#include <gtest/gtest.h>

namespace shield {
namespace {

TEST(Base64, DecodesStrictRfc4648Only) {
  EXPECT_EQ(decode_base64_strict("SGVsbG8="), "Hello");
  EXPECT_EQ(decode_base64_strict("SGVsbG8h"), "Hello!");
  EXPECT_EQ(decode_base64_strict("SGU="), "He");
  EXPECT_EQ(decode_base64_strict("SA=="), "H");
  EXPECT_EQ(decode_base64_strict(""), "");
  for (const char* bad :
       {"SGVsbG8", "SGVs!!!bG8=", "S===", "SG=VsbG8", "SGVsbG8=SGVs", "SGV sbG8="}) {
    EXPECT_FALSE(decode_base64_strict(bad).has_value()) << bad;
  }
}

TEST(Base64, EncodesPaddedAndRoundTripsEveryByte) {
  EXPECT_EQ(encode_base64(""), "");
  EXPECT_EQ(encode_base64("H"), "SA==");
  EXPECT_EQ(encode_base64("He"), "SGU=");
  EXPECT_EQ(encode_base64("Hello!"), "SGVsbG8h");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(decode_base64_strict(encode_base64(all)), all);
}

}  // namespace
}  // namespace shield
