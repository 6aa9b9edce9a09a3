#!/usr/bin/env python3
"""Writes calm-lint.1 from the docs, so the man page says what README and --explain say.

    manpage.py VERSION README.md OUT.1 RULE.md...

The README's "## calm-lint" section gives SYNOPSIS (its first code block), OPTIONS (its
first table), DESCRIPTION (the rest before its first subsection) and one section per
subsection; each rule doc becomes a subsection of RULE DOCUMENTATION. Only the Markdown
the docs use is understood: headings, paragraphs, lists, tables, code blocks, inline
code, emphasis and links. Plain man(7) macros, no tbl, so any man or groff renders it.
"""
import re
import sys


def esc(text):
    """roff-escape plain text: backslashes, and every non-ASCII character as \\[uXXXX]."""
    out = []
    for ch in text.replace("\\", "\\e"):
        out.append(ch if ord(ch) < 128 else "\\[u%04X]" % ord(ch))
    return "".join(out)


def code_text(text):
    """Text shown literally (inline code, code blocks): minus signs stay minus signs."""
    return esc(text).replace("-", "\\-")


def inline(text):
    """One paragraph's Markdown inline markup to roff."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if len(p) >= 2 and p.startswith("`") and p.endswith("`"):
            out.append("\\fB" + code_text(p[1:-1]) + "\\fR")
            continue
        p = re.sub(r"\[([^\]]*)\]\(([^)]*)\)",
                   lambda m: m.group(1) + (" <" + m.group(2) + ">"
                                           if re.match(r"https?:", m.group(2)) else ""), p)
        p = esc(p)
        p = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", p)
        p = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", p)
        out.append(p)
    return "".join(out)


def lines_out(text):
    """Text as roff input lines: a line may not start with a control character."""
    return ["\\&" + l if l.startswith((".", "'")) else l for l in text.split("\n")]


def cells(row):
    row = row.strip().strip("|")
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]


def blocks(md):
    """Markdown text as (kind, payload) blocks: heading, code, table, item, para."""
    lines = md.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            yield "code", "\n".join(lines[i + 1:j])
            i = j + 1
        elif re.match(r"#{1,6} ", line):
            level = len(line) - len(line.lstrip("#"))
            yield "heading", (level, line[level:].strip())
            i += 1
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                if not re.match(r"^\s*\|[\s:|-]+\|\s*$", lines[i]):
                    rows.append(cells(lines[i]))
                i += 1
            yield "table", rows[1:]  # the header row names columns a tag list has no use for
        else:
            m = re.match(r"\s*([-*]|\d+\.) ", line)
            text = [line[m.end():] if m else line.strip()]
            i += 1
            while i < len(lines) and lines[i].strip() and not re.match(
                    r"\s*([-*]|\d+\.) |```|#|\s*\|", lines[i]):
                text.append(lines[i].strip())
                i += 1
            joined = " ".join(text)
            if m:
                yield "item", (m.group(1), joined)
            else:
                yield "para", joined


def render(md, heading):
    """Blocks as roff; heading(level, title) gives the macro lines for a heading."""
    out = []
    for kind, payload in blocks(md):
        if kind == "heading":
            out += heading(*payload)
        elif kind == "code":
            out += [".PP", ".RS 4", ".nf"] + lines_out(code_text(payload)) + [".fi", ".RE"]
        elif kind == "table":
            for row in payload:
                out += [".TP", *lines_out(inline(row[0])), *lines_out(inline("; ".join(row[1:])))]
        elif kind == "item":
            mark, text = payload
            out += [".IP " + ("\\(bu 2" if mark in "-*" else mark + " 4")] + lines_out(inline(text))
        else:
            out += [".PP"] + lines_out(inline(payload))
    return out


def section(md, title):
    """The text of the level-2 section `## title`, up to the next level-2 heading."""
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## |\Z)", md, re.S | re.M)
    if not m:
        sys.exit("manpage.py: README has no '## %s' section" % title)
    return m.group(1)


def quoted(title):
    return '"' + esc(title).replace('"', "'") + '"'


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: manpage.py VERSION README.md OUT.1 RULE.md...")
    version, readme, out_path, rules = argv[0], argv[1], argv[2], sorted(argv[3:])
    with open(readme, encoding="utf-8") as f:
        md = f.read()
    lint = section(md, "calm-lint")
    intro = re.search(r"^- \*\*calm-lint\*\*,? (.*?)(?=^- |^\s*$)", md, re.S | re.M)

    head, _, rest = lint.partition("\n### ")
    rest = "### " + rest if rest else ""
    synopsis = re.search(r"```\n(.*?)\n```", head, re.S)
    options = re.search(r"(^\|.*\|\n)+", head, re.M)
    if not synopsis or not options:
        sys.exit("manpage.py: the calm-lint section lacks its synopsis block or option table")
    described = head[:synopsis.start()] + head[synopsis.end():options.start()] + head[options.end():]

    out = ['.\\" Generated from README.md and rules/*.md by lint/cmake/manpage.py; do not edit.',
           '.TH CALM\\-LINT 1 "" "calm %s" "User Commands"' % esc(version),
           ".SH NAME",
           "calm\\-lint \\- a checker for asynchronous C code: blocking calls on the event loop, "
           "lost tasks, swallowed cancellations",
           ".SH SYNOPSIS", ".nf"] + lines_out(code_text(synopsis.group(1))) + [".fi", ".SH DESCRIPTION"]
    if intro:
        out += [".PP"] + lines_out(inline("calm-lint is " + " ".join(intro.group(1).split())))
    out += render(described, lambda level, title: [])
    out += [".SH OPTIONS"] + render(options.group(0), lambda level, title: [])
    out += render(rest, lambda level, title: [(".SH " if level <= 3 else ".SS ") + quoted(
        title.upper() if level <= 3 else title)])
    out += [".SH \"RULE DOCUMENTATION\"",
            ".PP", "Each rule's documentation, as \\fBcalm\\-lint \\-\\-explain\\fR \\fIID\\fR prints it."]
    for path in rules:
        with open(path, encoding="utf-8") as f:
            doc = f.read()
        out += render(doc, lambda level, title: [".SS " + quoted(title)] if level == 1
                      else [".PP", "\\fB" + esc(title) + "\\fR"])
    out += [".SH \"SEE ALSO\"",
            ".BR clang\\-tidy (1),", ".BR pkg\\-config (1);",
            "the README of calm for libcalm, the editor and CI recipes."]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
