#pragma once
// The block structure of a Markdown text, as much of it as chunking needs: ATX and setext
// headings, fenced code blocks (``` or ~~~, closed by a fence of the same character at
// least as long; an unclosed one runs to the end), and paragraphs separated by blank lines
// (lists, tables, quotes and indented code count as paragraphs). Internal to the chunker.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace shield::ingest::detail {

enum class BlockKind { kHeading, kParagraph, kCode };

struct MarkdownBlock {
  BlockKind kind = BlockKind::kParagraph;
  std::string text;  // the block's lines as written ("\r\n" normalised to "\n"), no blank edges
  // Headings: level 1..6 and the heading's own text (markers and closing #s removed).
  int level = 0;
  std::string heading;
  // Code: the opening fence line, the lines between the fences, and the closing fence line
  // (made up from the opening one when the source never closed it).
  std::string fence_open;
  std::vector<std::string> code_lines;
  std::string fence_close;
};

[[nodiscard]] std::vector<MarkdownBlock> parse_markdown_blocks(std::string_view markdown);

}  // namespace shield::ingest::detail
