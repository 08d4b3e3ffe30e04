#include "shield/ingest/token_estimate.hpp"

namespace shield::ingest {
namespace {

constexpr std::size_t kWeightPerToken = 4;

bool is_space(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || c == U'\f' || c == U'\v' ||
         c == 0x00A0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

bool is_ascii_word(char32_t c) {
  return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9') ||
         c == U'_';
}

// Characters a tokenizer spends about one token on each: ideographs, kana, hangul, and
// punctuation and symbol blocks.
bool is_standalone(char32_t c) {
  return (c >= 0x2010 && c <= 0x2BFF) ||  // general punctuation, symbols, arrows, math
         (c >= 0x2E80 && c <= 0x9FFF) ||  // CJK radicals, kana, CJK symbols, ideographs
         (c >= 0xA960 && c <= 0xA97F) || (c >= 0xAC00 && c <= 0xD7FF) ||  // hangul
         (c >= 0xF900 && c <= 0xFAFF) ||                                  // compatibility
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFFEF) ||  // CJK forms
         (c >= 0x00A1 && c <= 0x00BF) || c == 0x00D7 || c == 0x00F7;      // Latin-1 signs
}

}  // namespace

void TokenEstimate::end_word() {
  closed_ += (word_weight_ + kWeightPerToken - 1) / kWeightPerToken;
  word_weight_ = 0;
}

void TokenEstimate::add(char32_t c) {
  if (is_space(c)) {
    end_word();
  } else if (c < 0x80) {
    if (is_ascii_word(c)) {
      word_weight_ += 1;
    } else {
      end_word();
      closed_ += 1;
    }
  } else if (c >= 0x10000) {
    end_word();
    closed_ += 2;
  } else if (is_standalone(c)) {
    end_word();
    closed_ += 1;
  } else {
    word_weight_ += 2;
  }
}

void TokenEstimate::add_invalid_byte() {
  end_word();
  closed_ += 1;
}

std::size_t TokenEstimate::total() const {
  return closed_ + (word_weight_ + kWeightPerToken - 1) / kWeightPerToken;
}

DecodedCodePoint decode_utf8(std::string_view text, std::size_t offset) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[offset + i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1, true};
  std::size_t length = 0;
  char32_t value = 0;
  char32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    value = lead & 0x1F;
    minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    value = lead & 0x0F;
    minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    value = lead & 0x07;
    minimum = 0x10000;
  } else {
    return {0xFFFD, 1, false};
  }
  if (offset + length > text.size()) return {0xFFFD, 1, false};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return {0xFFFD, 1, false};
    value = (value << 6) | (byte(i) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return {0xFFFD, 1, false};
  }
  return {value, length, true};
}

std::size_t estimate_tokens(std::string_view text) {
  TokenEstimate estimate;
  for (std::size_t i = 0; i < text.size();) {
    const DecodedCodePoint cp = decode_utf8(text, i);
    if (cp.valid) {
      estimate.add(cp.value);
    } else {
      estimate.add_invalid_byte();
    }
    i += cp.length;
  }
  return estimate.total();
}

}  // namespace shield::ingest
