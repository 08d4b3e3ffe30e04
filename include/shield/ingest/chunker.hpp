#pragma once
// Chunker: cuts a Markdown document into pieces small enough to embed, for the qdrant sink.
//
// How it cuts, in order of preference:
//   - at headings: a chunk never spans two sections, and carries the path of headings
//     above it (["Guide", "Install", "Debian"]). A heading line belongs to the first chunk of
//     its section; headings with no text of their own before the next heading ride along
//     into that chunk, so no chunk is a bare heading unless the document ends with one;
//   - between blocks (paragraphs, lists, tables, fenced code blocks), packing whole blocks
//     into a chunk while they fit;
//   - inside a block too long for a chunk: prose at line ends, then sentence ends, then
//     spaces, and only as a last resort between two characters (never inside a UTF-8
//     sequence); fenced code at line ends, every piece re-fenced with the block's own
//     opening and closing lines, so no chunk holds half a fence. A code line longer than a
//     whole chunk is the one thing cut mid-line.
// Size: every chunk's estimate_tokens() is at most chunk_tokens. Overlap: when one section
// needs several chunks, each continuation starts with up to overlap_tokens of the previous
// chunk's closing prose (whole words), so a sentence cut at a boundary is seen whole in one
// of the two. No overlap is taken out of code or across a heading.
//
// Threading: a Chunker is an immutable value; split() is const and may run on any thread.
// It is CPU work proportional to the text: run big documents off the event loop.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "shield/util/error.hpp"

namespace shield::ingest {

struct ChunkerOptions {
  std::size_t chunk_tokens = 512;   // upper bound per chunk (estimate_tokens)
  std::size_t overlap_tokens = 64;  // carried into a section's next chunk
};

struct Chunk {
  std::size_t index = 0;  // 0, 1, 2 ... in document order
  std::string text;       // Markdown
  std::vector<std::string> heading_path;
  std::size_t tokens = 0;  // estimate_tokens(text)
};

class Chunker {
 public:
  static constexpr std::size_t kMinChunkTokens = 16;

  // Out-of-range options are clamped (chunk_tokens to at least kMinChunkTokens, overlap to
  // at most half a chunk); validate() says what config would be clamped.
  explicit Chunker(ChunkerOptions options = {});

  // kInvalidArgument naming the key ([sink] chunk_tokens, chunk_overlap_tokens) and the range.
  [[nodiscard]] static Result<void> validate(const ChunkerOptions& options);

  [[nodiscard]] std::vector<Chunk> split(std::string_view markdown) const;

  [[nodiscard]] const ChunkerOptions& options() const { return options_; }

 private:
  ChunkerOptions options_;
};

}  // namespace shield::ingest
