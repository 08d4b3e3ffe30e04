#include "shield/ingest/text_decoding.hpp"

#include <string>

#include <gtest/gtest.h>

namespace shield::ingest {
namespace {

using namespace std::string_literals;

TEST(TextDecodingTest, KeepsValidUtf8AndDropsItsByteOrderMark) {
  const DecodedText plain = decode_text("Grüße, 世界 🌍", "a.txt");
  EXPECT_EQ(plain.text, "Grüße, 世界 🌍");
  EXPECT_EQ(plain.charset, "utf-8");
  EXPECT_TRUE(plain.warnings.empty());

  const DecodedText marked = decode_text("\xEF\xBB\xBFhello", "a.txt");
  EXPECT_EQ(marked.text, "hello");
  EXPECT_EQ(marked.charset, "utf-8");
}

TEST(TextDecodingTest, NormalisesLineEnds) {
  EXPECT_EQ(decode_text("a\r\nb\rc\n\r\nd", "x").text, "a\nb\nc\n\nd");
}

TEST(TextDecodingTest, ReadsInvalidUtf8AsLatin1AndSaysSo) {
  const DecodedText decoded = decode_text("caf\xE9 cr\xE8me", "menu.txt");
  EXPECT_EQ(decoded.text, "café crème");
  EXPECT_EQ(decoded.charset, "latin-1");
  ASSERT_EQ(decoded.warnings.size(), 1U);
  EXPECT_EQ(decoded.warnings[0],
            "menu.txt is not valid UTF-8 (byte 0xE9 at offset 3); it was read as Latin-1 (ISO "
            "8859-1), so some characters may be wrong");
}

TEST(TextDecodingTest, OverlongAndSurrogateSequencesAreNotUtf8) {
  EXPECT_EQ(decode_text("a\xC0\xAF", "x").charset, "latin-1");
  EXPECT_EQ(decode_text("a\xED\xA0\x80", "x").charset, "latin-1");
  EXPECT_EQ(decode_text("truncated \xE4\xB8", "x").charset, "latin-1");
}

TEST(TextDecodingTest, ConvertsUtf16WithAByteOrderMark) {
  // "hé\r\n😀" in UTF-16LE and UTF-16BE.
  const std::string le = "\xFF\xFEh\0\xE9\0\r\0\n\0\x3D\xD8\x00\xDE"s;
  const DecodedText little = decode_text(le, "w.txt");
  EXPECT_EQ(little.text, "hé\n😀");
  EXPECT_EQ(little.charset, "utf-16le");
  EXPECT_TRUE(little.warnings.empty());

  const std::string be = "\xFE\xFF\0h\0\xE9\0\r\0\n\xD8\x3D\xDE\x00"s;
  const DecodedText big = decode_text(be, "w.txt");
  EXPECT_EQ(big.text, "hé\n😀");
  EXPECT_EQ(big.charset, "utf-16be");
}

TEST(TextDecodingTest, ReplacesMalformedUtf16AndWarns) {
  // A lone high surrogate, then an odd trailing byte.
  const std::string le = "\xFF\xFE\x3D\xD8x\0!"s;
  const DecodedText decoded = decode_text(le, "w.txt");
  EXPECT_EQ(decoded.text, "\xEF\xBF\xBDx\xEF\xBF\xBD");
  ASSERT_EQ(decoded.warnings.size(), 1U);
  EXPECT_EQ(decoded.warnings[0],
            "w.txt is utf-16le with 2 malformed code unit(s), replaced by U+FFFD");
}

}  // namespace
}  // namespace shield::ingest
