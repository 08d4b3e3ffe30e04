#include "shield/ingest/chunker.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shield/ingest/token_estimate.hpp"

namespace shield::ingest {
namespace {

bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const DecodedCodePoint cp = decode_utf8(text, i);
    if (!cp.valid) return false;
    i += cp.length;
  }
  return true;
}

std::size_t fence_lines(const std::string& text) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, 3, "```") == 0) ++count;
    start = end + 1;
  }
  return count;
}

std::vector<std::vector<std::string>> paths(const std::vector<Chunk>& chunks) {
  std::vector<std::vector<std::string>> out;
  out.reserve(chunks.size());
  for (const auto& chunk : chunks) out.push_back(chunk.heading_path);
  return out;
}

// 12 tokens: Sentence(2) number(2) N(1) has(1) some(1) words(2) in(1) it.(2)
std::string sentence(int n) {
  return "Sentence number " + std::to_string(n) + " has some words in it.";
}

std::string sentences(int from, int to) {
  std::string out;
  for (int n = from; n <= to; ++n) {
    if (!out.empty()) out += ' ';
    out += sentence(n);
  }
  return out;
}

TEST(TokenEstimate, CountsWordsPunctuationAndScripts) {
  EXPECT_EQ(estimate_tokens(""), 0U);
  EXPECT_EQ(estimate_tokens("  \n\t "), 0U);
  EXPECT_EQ(estimate_tokens("hello world"), 4U);  // 5 letters = 2 tokens each
  EXPECT_EQ(estimate_tokens("a, b."), 4U);
  EXPECT_EQ(estimate_tokens("日本語"), 3U);
  EXPECT_EQ(estimate_tokens("café"), 2U);    // c a f + é (weight 2) = 5 → 2
  EXPECT_EQ(estimate_tokens("Привет"), 3U);  // 6 Cyrillic letters, weight 12 → 3
  EXPECT_EQ(estimate_tokens("😀"), 2U);
  EXPECT_EQ(estimate_tokens("\xff"), 1U);
  EXPECT_EQ(estimate_tokens("ab\xff"
                            "cd"),
            3U);
  EXPECT_EQ(estimate_tokens("a\u00A0b"), 2U);  // NBSP separates words
  EXPECT_EQ(estimate_tokens(sentence(7)), 12U);
}

TEST(TokenEstimate, AddsUpOverPiecesCutAtWhitespace) {
  EXPECT_EQ(estimate_tokens("one two, three"),
            estimate_tokens("one") + estimate_tokens("two,") + estimate_tokens("three"));
  // Cut inside a word, the pieces cost at least as much as the whole.
  EXPECT_GE(estimate_tokens("abcde") + estimate_tokens("fgh"), estimate_tokens("abcdefgh"));
}

TEST(Utf8, DecodesAndRefusesMalformedSequences) {
  const DecodedCodePoint e = decode_utf8("é", 0);
  EXPECT_TRUE(e.valid);
  EXPECT_EQ(e.value, 0xE9U);
  EXPECT_EQ(e.length, 2U);
  const DecodedCodePoint smile = decode_utf8("😀", 0);
  EXPECT_EQ(smile.value, 0x1F600U);
  EXPECT_EQ(smile.length, 4U);
  EXPECT_FALSE(decode_utf8("\xC0\xAF", 0).valid);      // overlong "/"
  EXPECT_FALSE(decode_utf8("\xED\xA0\x80", 0).valid);  // a UTF-16 surrogate
  EXPECT_FALSE(decode_utf8("\xE6\x97", 0).valid);      // truncated
  EXPECT_EQ(decode_utf8("\xE6\x97", 0).length, 1U);
  EXPECT_FALSE(decode_utf8("\x80", 0).valid);
}

TEST(Chunker, OneChunkPerSectionWithItsHeadingPath) {
  const auto chunks = Chunker().split(
      "# A\n\npara one.\n\n## B\n\npara two.\n\n### B1\n\ndeep.\n\n# C\n\npara three.\n");
  ASSERT_EQ(chunks.size(), 4U);
  EXPECT_EQ(chunks[0].text, "# A\n\npara one.");
  EXPECT_EQ(chunks[1].text, "## B\n\npara two.");
  EXPECT_EQ(chunks[2].text, "### B1\n\ndeep.");
  EXPECT_EQ(chunks[3].text, "# C\n\npara three.");
  EXPECT_EQ(paths(chunks),
            (std::vector<std::vector<std::string>>{{"A"}, {"A", "B"}, {"A", "B", "B1"}, {"C"}}));
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].index, i);
    EXPECT_EQ(chunks[i].tokens, estimate_tokens(chunks[i].text));
  }
}

TEST(Chunker, HeadingsWithoutTextRideIntoTheNextSection) {
  const auto chunks = Chunker().split("# Guide\n\n## Install\n\nRun it.");
  ASSERT_EQ(chunks.size(), 1U);
  EXPECT_EQ(chunks[0].text, "# Guide\n\n## Install\n\nRun it.");
  EXPECT_EQ(chunks[0].heading_path, (std::vector<std::string>{"Guide", "Install"}));
}

TEST(Chunker, TextBeforeTheFirstHeadingAndABareLastHeading) {
  const auto chunks = Chunker().split("Intro.\n\n# A\n\nBody.\n\n# Last\n");
  ASSERT_EQ(chunks.size(), 3U);
  EXPECT_EQ(chunks[0].text, "Intro.");
  EXPECT_TRUE(chunks[0].heading_path.empty());
  EXPECT_EQ(chunks[1].text, "# A\n\nBody.");
  EXPECT_EQ(chunks[2].text, "# Last");
  EXPECT_EQ(chunks[2].heading_path, std::vector<std::string>{"Last"});
}

TEST(Chunker, PacksSmallParagraphsOfASectionTogether) {
  const auto chunks =
      Chunker().split("# A\n\np1.\n\n- item one\n- item two\n\n| a | b |\n|---|---|\n");
  ASSERT_EQ(chunks.size(), 1U);
  EXPECT_EQ(chunks[0].text, "# A\n\np1.\n\n- item one\n- item two\n\n| a | b |\n|---|---|");
}

TEST(Chunker, SplitsALongParagraphAtSentenceEnds) {
  const std::string paragraph = sentences(1, 40);  // 480 tokens on one line
  const auto chunks = Chunker({64, 0}).split(paragraph);
  ASSERT_EQ(chunks.size(), 8U);
  std::string joined;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const int first = static_cast<int>(i) * 5 + 1;
    EXPECT_EQ(chunks[i].text, sentences(first, first + 4)) << "chunk " << i;
    EXPECT_LE(chunks[i].tokens, 64U);
    joined += (joined.empty() ? "" : " ") + chunks[i].text;
  }
  EXPECT_EQ(joined, paragraph);
}

TEST(Chunker, ContinuationsStartWithTheEndOfThePreviousChunk) {
  const auto chunks = Chunker({64, 16}).split(sentences(1, 40));
  // Pieces of 4 sentences (48 tokens) leave room for 16 tokens of overlap: the last
  // sentence before (12) plus "in it." (3) of the one before that.
  ASSERT_EQ(chunks.size(), 10U);
  EXPECT_EQ(chunks[0].text, sentences(1, 4));
  for (int i = 1; i < 10; ++i) {
    const std::string overlap = "in it. " + sentence(4 * i);
    EXPECT_EQ(chunks[static_cast<std::size_t>(i)].text,
              overlap + " " + sentences(4 * i + 1, 4 * i + 4))
        << "chunk " << i;
    EXPECT_TRUE(chunks[static_cast<std::size_t>(i) - 1].text.ends_with(overlap));
    EXPECT_LE(estimate_tokens(overlap), 16U);
    EXPECT_LE(chunks[static_cast<std::size_t>(i)].tokens, 64U);
  }
}

TEST(Chunker, NoOverlapAcrossHeadings) {
  const auto chunks =
      Chunker({64, 16}).split("# A\n\n" + sentences(1, 3) + "\n\n# B\n\n" + sentences(4, 6));
  ASSERT_EQ(chunks.size(), 2U);
  EXPECT_EQ(chunks[1].text, "# B\n\n" + sentences(4, 6));
}

TEST(Chunker, AHeadingSharesItsChunkWithTheStartOfALongSection) {
  const auto chunks = Chunker({64, 0}).split("# Heading\n\n" + sentences(1, 20));
  ASSERT_GE(chunks.size(), 2U);
  // "# Heading" costs 3, so the first piece is cut to 4 sentences (48) to fit beside it.
  EXPECT_EQ(chunks[0].text, "# Heading\n\n" + sentences(1, 5));
  for (const auto& chunk : chunks) {
    EXPECT_LE(chunk.tokens, 64U);
    EXPECT_EQ(chunk.heading_path, std::vector<std::string>{"Heading"});
  }
}

std::string code_block(int lines, bool closed = true) {
  std::string out = "```python";
  for (int n = 1; n <= lines; ++n) out += "\nx = " + std::to_string(n);  // 3 tokens a line
  if (closed) out += "\n```";
  return out;
}

TEST(Chunker, KeepsACodeBlockWholeWhenItFitsAChunk) {
  std::string paragraph;
  for (int i = 0; i < 50; ++i) paragraph += (i == 0 ? "" : " ") + std::string("word");
  const std::string code = code_block(7);  // 5 + 21 + 3 = 29 tokens
  const auto chunks = Chunker({64, 0}).split(paragraph + "\n\n" + code + "\n\nAfter.");
  ASSERT_EQ(chunks.size(), 2U);
  EXPECT_EQ(chunks[0].text, paragraph);
  EXPECT_EQ(chunks[1].text, code + "\n\nAfter.");
}

TEST(Chunker, SplitsALongCodeBlockAtLineEndsAndReFencesEveryPiece) {
  const auto chunks = Chunker({64, 16}).split(code_block(40));
  // 48-token pieces: the fences cost 8, so 13 lines of 3 tokens fit: 13 + 13 + 13 + 1, and
  // the last two pieces (47 + 11 tokens) share a chunk, each fenced.
  ASSERT_EQ(chunks.size(), 3U);
  EXPECT_EQ(fence_lines(chunks[0].text), 2U);
  EXPECT_EQ(fence_lines(chunks[1].text), 2U);
  EXPECT_EQ(fence_lines(chunks[2].text), 4U);
  EXPECT_TRUE(chunks[2].text.ends_with("x = 39\n```\n\n```python\nx = 40\n```"));
  int expected = 1;
  for (const auto& chunk : chunks) {
    EXPECT_TRUE(chunk.text.starts_with("```python\n")) << chunk.text;
    EXPECT_TRUE(chunk.text.ends_with("\n```")) << chunk.text;
    EXPECT_LE(chunk.tokens, 64U);
    // No overlap is taken out of code: the lines continue where the last chunk stopped.
    std::size_t at = 0;
    while (at < chunk.text.size()) {
      std::size_t end = chunk.text.find('\n', at);
      if (end == std::string::npos) end = chunk.text.size();
      const std::string line = chunk.text.substr(at, end - at);
      if (!line.empty() && !line.starts_with("```")) {
        EXPECT_EQ(line, "x = " + std::to_string(expected));
        ++expected;
      }
      at = end + 1;
    }
  }
  EXPECT_EQ(expected, 41);
}

TEST(Chunker, AnUnclosedFenceRunsToTheEndAndIsClosedWhenCut) {
  const auto whole = Chunker().split("Before.\n\n" + code_block(3, false) + "\n\n# not a heading");
  ASSERT_EQ(whole.size(), 1U);
  EXPECT_EQ(whole[0].text, "Before.\n\n" + code_block(3, false) + "\n\n# not a heading");
  EXPECT_TRUE(whole[0].heading_path.empty());

  const auto cut = Chunker({64, 0}).split(code_block(40, false));
  ASSERT_GE(cut.size(), 2U);
  for (const auto& chunk : cut) EXPECT_TRUE(chunk.text.ends_with("\n```")) << chunk.text;
}

TEST(Chunker, HeadingMarkersInsideCodeAreCode) {
  const auto chunks = Chunker().split("~~~\n# not a heading\n```\n~~~\n\ntext");
  ASSERT_EQ(chunks.size(), 1U);
  EXPECT_TRUE(chunks[0].heading_path.empty());
  EXPECT_EQ(chunks[0].text, "~~~\n# not a heading\n```\n~~~\n\ntext");
}

TEST(Chunker, ReadsSetextAndClosedAtxHeadings) {
  const auto chunks = Chunker().split(
      "Title\n=====\n\nBody.\n\nSub part\n---\n\nMore.\n\n## Install ##\n\nText.\n\n#5 is not "
      "a heading\n\n#\tTabbed\n\nEnd.");
  ASSERT_EQ(chunks.size(), 4U);
  EXPECT_EQ(chunks[0].text, "Title\n=====\n\nBody.");
  EXPECT_EQ(chunks[0].heading_path, std::vector<std::string>{"Title"});
  EXPECT_EQ(chunks[1].heading_path, (std::vector<std::string>{"Title", "Sub part"}));
  EXPECT_EQ(chunks[2].heading_path, (std::vector<std::string>{"Title", "Install"}));
  EXPECT_EQ(chunks[2].text, "## Install ##\n\nText.\n\n#5 is not a heading");
  EXPECT_EQ(chunks[3].heading_path, std::vector<std::string>{"Tabbed"});
}

TEST(Chunker, NormalisesWindowsLineEnds) {
  const auto chunks = Chunker().split("# A\r\n\r\nBody line\r\nsecond line\r\n");
  ASSERT_EQ(chunks.size(), 1U);
  EXPECT_EQ(chunks[0].text, "# A\n\nBody line\nsecond line");
}

TEST(Chunker, EmptyTextHasNoChunks) {
  EXPECT_TRUE(Chunker().split("").empty());
  EXPECT_TRUE(Chunker().split(" \n\n\t \r\n").empty());
}

TEST(Chunker, CutsCjkAtFullStopsAndNeverInsideACharacter) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "これは日本語の文です。";  // 11 tokens each
  const auto chunks = Chunker({64, 0}).split(text);
  ASSERT_EQ(chunks.size(), 4U);
  std::string joined;
  for (const auto& chunk : chunks) {
    EXPECT_TRUE(valid_utf8(chunk.text));
    EXPECT_LE(chunk.tokens, 64U);
    EXPECT_TRUE(chunk.text.ends_with("。"));
    joined += chunk.text;
  }
  EXPECT_EQ(joined, text);
}

TEST(Chunker, CutsUnbrokenTextBetweenCodePoints) {
  std::string ideographs;
  for (int i = 0; i < 300; ++i) ideographs += "日";
  std::string emoji;
  for (int i = 0; i < 100; ++i) emoji += "😀";
  std::string blob(10'000, 'Q');  // one 2,500-token "word", like an inlined base64 image
  for (const std::string& text : {ideographs, emoji, blob}) {
    const auto chunks = Chunker({64, 8}).split(text);
    ASSERT_GE(chunks.size(), 2U);
    std::string joined;
    for (const auto& chunk : chunks) {
      EXPECT_TRUE(valid_utf8(chunk.text));
      EXPECT_LE(chunk.tokens, 64U);
      joined += chunk.text;
    }
    // Nothing to overlap with (no whole word fits in 8 tokens), so the pieces add up.
    EXPECT_EQ(joined, text);
  }
}

TEST(Chunker, InvalidUtf8DoesNotStopIt) {
  std::string text = "caf\xC3 \xFF\xFE";
  for (int i = 0; i < 200; ++i) text += "\xE6\x97";
  const auto chunks = Chunker({16, 0}).split(text);
  ASSERT_FALSE(chunks.empty());
  for (const auto& chunk : chunks) EXPECT_LE(chunk.tokens, 16U);
}

// A deterministic document with everything in it: headings at every level, short and long
// paragraphs, lists, code, a giant word.
std::string mixed_document() {
  std::uint32_t state = 12345;
  const auto next = [&] {
    state = state * 1103515245U + 12345U;
    return (state >> 16) & 0x7FFF;
  };
  std::string out;
  int marker = 0;
  for (int section = 0; section < 30; ++section) {
    const int level = 1 + static_cast<int>(next() % 4);
    out += std::string(static_cast<std::size_t>(level), '#') + " Section " +
           std::to_string(section) + "\n\n";
    const int blocks = static_cast<int>(next() % 5);
    for (int b = 0; b < blocks; ++b) {
      switch (next() % 4) {
        case 0: {
          const int words = static_cast<int>(next() % 300);
          for (int w = 0; w < words; ++w) {
            out += "marker" + std::to_string(marker++) + (w % 9 == 8 ? ". " : " ");
          }
          out += "\n\n";
          break;
        }
        case 1:
          for (int item = 0; item < 8; ++item) {
            out += "- item marker" + std::to_string(marker++) + "\n";
          }
          out += "\n";
          break;
        case 2:
          out += "```cpp\n";
          for (int line = 0; line < static_cast<int>(next() % 60); ++line) {
            out += "call(code" + std::to_string(marker++) + ");\n";
          }
          out += "```\n\n";
          break;
        default:
          out += "Übersicht — 日本語の説明です。 marker" + std::to_string(marker++) + " " +
                 std::string(next() % 600, 'z') + "\n\n";
          break;
      }
    }
  }
  return out;
}

TEST(Chunker, EveryChunkFitsAndEveryWordSurvives) {
  const std::string document = mixed_document();
  for (const std::size_t chunk_tokens : {16U, 64U, 200U, 512U}) {
    for (const std::size_t overlap : {0U, 8U, 32U}) {
      const Chunker chunker({chunk_tokens, overlap});
      const auto chunks = chunker.split(document);
      ASSERT_FALSE(chunks.empty());
      std::string all;
      for (std::size_t i = 0; i < chunks.size(); ++i) {
        const Chunk& chunk = chunks[i];
        EXPECT_EQ(chunk.index, i);
        EXPECT_FALSE(chunk.text.empty());
        EXPECT_EQ(chunk.tokens, estimate_tokens(chunk.text));
        EXPECT_LE(chunk.tokens, chunker.options().chunk_tokens)
            << "chunk_tokens " << chunk_tokens << " overlap " << overlap << ": " << chunk.text;
        EXPECT_TRUE(valid_utf8(chunk.text));
        // Code is cut only where the fences can be repeated, once chunks are big enough
        // to hold the fences and a line.
        if (chunk_tokens >= 64) {
          EXPECT_EQ(fence_lines(chunk.text) % 2, 0U) << chunk.text;
        }
        all += chunk.text;
        all += '\n';
      }
      // Every word of prose is whole in some chunk. Code lines are whole too unless a line
      // with its fences is bigger than a chunk (at 16 tokens, call(code123); is).
      std::size_t checked = 0;
      for (int m = 0; m < 2500; ++m) {
        for (const std::string prefix : {"marker", "code"}) {
          const std::string word = prefix + std::to_string(m) + (prefix == "code" ? ")" : "");
          if (document.find(word) == std::string::npos) continue;
          if (prefix == "code" && chunk_tokens < 64) continue;
          ++checked;
          EXPECT_NE(all.find(word), std::string::npos)
              << word << " lost at chunk_tokens " << chunk_tokens << " overlap " << overlap;
        }
      }
      EXPECT_GT(checked, 1000U);
    }
  }
}

TEST(Chunker, ValidatesAndClampsItsOptions) {
  EXPECT_TRUE(Chunker::validate({512, 64}));
  const auto too_small = Chunker::validate({8, 0});
  ASSERT_FALSE(too_small);
  EXPECT_NE(too_small.error().message.find("chunk_tokens"), std::string::npos);
  const auto too_much = Chunker::validate({512, 300});
  ASSERT_FALSE(too_much);
  EXPECT_NE(too_much.error().message.find("chunk_overlap_tokens"), std::string::npos);
  const Chunker clamped({4, 100});
  EXPECT_EQ(clamped.options().chunk_tokens, Chunker::kMinChunkTokens);
  EXPECT_EQ(clamped.options().overlap_tokens, Chunker::kMinChunkTokens / 2);
}

}  // namespace
}  // namespace shield::ingest
