#include "markdown_blocks.hpp"

#include <optional>
#include <utility>

namespace shield::ingest::detail {
namespace {

std::size_t leading_spaces(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

struct Fence {
  char marker = '`';
  std::size_t length = 0;
};

// An opening fence: up to three spaces, then three or more ` or ~ (a backtick fence's info
// string may not contain a backtick).
std::optional<Fence> opening_fence(std::string_view line) {
  const std::size_t indent = leading_spaces(line);
  if (indent > 3 || indent >= line.size()) return std::nullopt;
  const char marker = line[indent];
  if (marker != '`' && marker != '~') return std::nullopt;
  std::size_t end = indent;
  while (end < line.size() && line[end] == marker) ++end;
  const std::size_t length = end - indent;
  if (length < 3) return std::nullopt;
  if (marker == '`' && line.find('`', end) != std::string_view::npos) return std::nullopt;
  return Fence{marker, length};
}

bool closes(const Fence& fence, std::string_view line) {
  const std::size_t indent = leading_spaces(line);
  if (indent > 3) return false;
  std::size_t end = indent;
  while (end < line.size() && line[end] == fence.marker) ++end;
  return end - indent >= fence.length && is_blank(line.substr(end));
}

struct AtxHeading {
  int level = 0;
  std::string text;
};

std::optional<AtxHeading> atx_heading(std::string_view line) {
  const std::size_t indent = leading_spaces(line);
  if (indent > 3) return std::nullopt;
  std::size_t end = indent;
  while (end < line.size() && line[end] == '#') ++end;
  const std::size_t level = end - indent;
  if (level == 0 || level > 6) return std::nullopt;
  if (end < line.size() && line[end] != ' ' && line[end] != '\t') return std::nullopt;
  std::string_view content = trim(line.substr(end));
  // A closing sequence of #s counts only after whitespace (or as the whole content).
  std::size_t cut = content.size();
  while (cut > 0 && content[cut - 1] == '#') --cut;
  if (cut == 0) {
    content = {};
  } else if (cut < content.size() && (content[cut - 1] == ' ' || content[cut - 1] == '\t')) {
    content = trim(content.substr(0, cut));
  }
  return AtxHeading{static_cast<int>(level), std::string(content)};
}

// 1 for a "===" underline, 2 for "---", 0 otherwise.
int setext_level(std::string_view line) {
  const std::size_t indent = leading_spaces(line);
  if (indent > 3) return 0;
  const std::string_view rest = trim(line.substr(indent));
  if (rest.empty()) return 0;
  const char marker = rest.front();
  if (marker != '=' && marker != '-') return 0;
  if (rest.find_first_not_of(marker) != std::string_view::npos) return 0;
  return marker == '=' ? 1 : 2;
}

class BlockReader {
 public:
  std::vector<MarkdownBlock> read(std::string_view markdown) {
    std::size_t start = 0;
    while (start <= markdown.size()) {
      std::size_t end = markdown.find('\n', start);
      if (end == std::string_view::npos) end = markdown.size();
      std::string_view line = markdown.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      take(line);
      if (end == markdown.size()) break;
      start = end + 1;
    }
    if (fence_) finish_code(std::nullopt);
    finish_paragraph();
    return std::move(blocks_);
  }

 private:
  void take(std::string_view line) {
    if (fence_) {
      if (closes(*fence_, line)) {
        finish_code(std::string(line));
      } else {
        code_.code_lines.emplace_back(line);
      }
      return;
    }
    if (is_blank(line)) {
      finish_paragraph();
      return;
    }
    if (auto fence = opening_fence(line)) {
      finish_paragraph();
      fence_ = fence;
      code_ = MarkdownBlock{};
      code_.kind = BlockKind::kCode;
      code_.fence_open = std::string(line);
      return;
    }
    if (auto heading = atx_heading(line)) {
      finish_paragraph();
      MarkdownBlock block;
      block.kind = BlockKind::kHeading;
      block.text = std::string(trim(line));
      block.level = heading->level;
      block.heading = std::move(heading->text);
      blocks_.push_back(std::move(block));
      return;
    }
    if (!paragraph_.empty()) {
      if (const int level = setext_level(line); level > 0) {
        MarkdownBlock block;
        block.kind = BlockKind::kHeading;
        block.level = level;
        std::string heading;
        for (const auto& part : paragraph_) {
          if (!heading.empty()) heading += ' ';
          heading += trim(part);
        }
        block.heading = std::move(heading);
        block.text = join(paragraph_) + "\n" + std::string(trim(line));
        paragraph_.clear();
        blocks_.push_back(std::move(block));
        return;
      }
    }
    paragraph_.emplace_back(line);
  }

  static std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) {
      if (!out.empty()) out += '\n';
      out += line;
    }
    return out;
  }

  void finish_paragraph() {
    if (paragraph_.empty()) return;
    MarkdownBlock block;
    block.kind = BlockKind::kParagraph;
    block.text = join(paragraph_);
    paragraph_.clear();
    blocks_.push_back(std::move(block));
  }

  void finish_code(std::optional<std::string> close_line) {
    const bool closed = close_line.has_value();
    code_.fence_close =
        closed ? std::move(*close_line) : std::string(fence_->length, fence_->marker);
    std::string text = code_.fence_open;
    for (const auto& line : code_.code_lines) text += "\n" + line;
    // An unclosed fence stays unclosed in the text: the chunk keeps what the source said.
    if (closed) text += "\n" + code_.fence_close;
    code_.text = std::move(text);
    blocks_.push_back(std::move(code_));
    code_ = MarkdownBlock{};
    fence_.reset();
  }

  std::vector<MarkdownBlock> blocks_;
  std::vector<std::string> paragraph_;
  std::optional<Fence> fence_;
  MarkdownBlock code_;
};

}  // namespace

std::vector<MarkdownBlock> parse_markdown_blocks(std::string_view markdown) {
  return BlockReader().read(markdown);
}

}  // namespace shield::ingest::detail
