#pragma once
// A tokenizer-free estimate of how many model tokens a text costs, used to bound chunks.
// It errs high, so a chunk that fits the estimate fits the embedding model:
//   - whitespace (ASCII, NBSP, the Unicode spaces) costs nothing and ends a word;
//   - a word (a run of letters and digits) costs ceil(weight / 4), where an ASCII letter or
//     digit weighs 1 and any other letter weighs 2 (BPE vocabularies hold fewer non-Latin
//     pieces, so accented, Greek, Cyrillic, Arabic, Indic words split finer);
//   - every other character costs 1 on its own: ASCII punctuation, general punctuation,
//     CJK ideographs, kana, hangul (tokenizers spend about one token per such character);
//   - a character outside the Basic Multilingual Plane (emoji, rare ideographs) costs 2;
//   - a byte that is not valid UTF-8 costs 1.
// The sum is additive over pieces cut at whitespace, and never grows when two pieces cut
// inside a word are joined again; the chunker relies on both.
//
// Threading: plain values and pure functions.
#include <cstddef>
#include <string_view>

namespace shield::ingest {

// Streams code points and keeps the running estimate.
class TokenEstimate {
 public:
  void add(char32_t code_point);
  // An invalid UTF-8 byte: one token, and the end of the current word.
  void add_invalid_byte();
  [[nodiscard]] std::size_t total() const;

 private:
  void end_word();

  std::size_t closed_ = 0;       // tokens of finished words and single characters
  std::size_t word_weight_ = 0;  // weight of the word being read
};

[[nodiscard]] std::size_t estimate_tokens(std::string_view text);

// One UTF-8 code point of `text` starting at `offset`: its value and byte length. An invalid
// or truncated sequence gives {U+FFFD, 1} with `valid` false, so callers always progress.
struct DecodedCodePoint {
  char32_t value = 0;
  std::size_t length = 1;
  bool valid = true;
};
[[nodiscard]] DecodedCodePoint decode_utf8(std::string_view text, std::size_t offset);

}  // namespace shield::ingest
