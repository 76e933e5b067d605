package main

// A small reader of the Markdown that Scale instructions are written in:
// headings, paragraphs, lists, fenced code, emphasis, code and links. It
// builds blocks of plain-text spans that the template writes, escaped like
// every other field, so no markup of the sender's ever reaches the page. A
// link is a link only when its target is an http or https URL, and an image
// is shown as a link to it, never loaded.

import (
	"regexp"
	"strings"
)

// mdBlock is one block of an instruction.
type mdBlock struct {
	Kind  string     // "h" (heading), "p", "ul", "ol" or "pre"
	Spans []mdSpan   // the text of a heading or paragraph
	Items [][]mdSpan // the items of a list
	Text  string     // the text of a code block
}

// mdSpan is a run of text with one style.
type mdSpan struct {
	Kind string // "", "strong", "em", "code" or "link"
	Text string
	URL  string // for a link
}

var (
	mdHeading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	mdBullet  = regexp.MustCompile(`^\s{0,3}[-*+]\s+(.*)$`)
	mdNumber  = regexp.MustCompile(`^\s{0,3}\d{1,9}[.)]\s+(.*)$`)
)

// mdMaxSource is how much of an instruction is read as Markdown; the rest
// shows as plain text. Real instructions are a few KiB.
const mdMaxSource = 64 << 10

// markdown reads an instruction into blocks.
func markdown(src string) []mdBlock {
	var rest string
	if len(src) > mdMaxSource {
		cut := strings.LastIndexByte(src[:mdMaxSource], '\n')
		if cut < 0 {
			cut = mdMaxSource
		}
		src, rest = src[:cut], src[cut:]
	}
	blocks := markdownBlocks(src)
	if rest = strings.TrimSpace(rest); rest != "" {
		blocks = append(blocks, mdBlock{Kind: "pre", Text: rest})
	}
	return blocks
}

func markdownBlocks(src string) []mdBlock {
	var blocks []mdBlock
	var para []string
	endPara := func() {
		if len(para) > 0 {
			blocks = append(blocks, mdBlock{Kind: "p", Spans: mdInline(strings.Join(para, " "))})
			para = nil
		}
	}
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			endPara()
			fence := trimmed[:3]
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), fence); i++ {
				code = append(code, lines[i])
			}
			blocks = append(blocks, mdBlock{Kind: "pre", Text: strings.Join(code, "\n")})
			continue
		}
		if trimmed == "" {
			endPara()
			continue
		}
		if m := mdHeading.FindStringSubmatch(trimmed); m != nil {
			endPara()
			blocks = append(blocks, mdBlock{Kind: "h", Spans: mdInline(m[1])})
			continue
		}
		kind, item := "", ""
		if m := mdBullet.FindStringSubmatch(line); m != nil {
			kind, item = "ul", m[1]
		} else if m := mdNumber.FindStringSubmatch(line); m != nil {
			kind, item = "ol", m[1]
		}
		if kind != "" {
			endPara()
			if n := len(blocks); n > 0 && blocks[n-1].Kind == kind {
				blocks[n-1].Items = append(blocks[n-1].Items, mdInline(item))
			} else {
				blocks = append(blocks, mdBlock{Kind: kind, Items: [][]mdSpan{mdInline(item)}})
			}
			continue
		}
		para = append(para, strings.TrimPrefix(trimmed, "> "))
	}
	endPara()
	return blocks
}

// mdInline splits a line into styled spans.
func mdInline(s string) []mdSpan {
	var spans []mdSpan
	var text strings.Builder
	links := mdLinks{s: s}
	add := func(kind, t, url string) {
		if text.Len() > 0 {
			spans = append(spans, mdSpan{Text: text.String()})
			text.Reset()
		}
		spans = append(spans, mdSpan{Kind: kind, Text: t, URL: url})
	}
	for i := 0; i < len(s); {
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "**") || strings.HasPrefix(rest, "__"):
			if j := strings.Index(rest[2:], rest[:2]); j > 0 {
				add("strong", rest[2:2+j], "")
				i += 4 + j
				continue
			}
		case rest[0] == '*':
			if j := strings.IndexByte(rest[1:], '*'); j > 0 && rest[1] != ' ' {
				add("em", rest[1:1+j], "")
				i += 2 + j
				continue
			}
		case rest[0] == '`':
			if j := strings.IndexByte(rest[1:], '`'); j > 0 {
				add("code", rest[1:1+j], "")
				i += 2 + j
				continue
			}
		case rest[0] == '[' || strings.HasPrefix(rest, "!["):
			if label, target, end, ok := links.at(i); ok {
				url := webURL(target)
				if label == "" {
					label = target
				}
				if rest[0] == '!' {
					label = "image: " + label
				}
				if url != "" {
					add("link", label, url)
				} else {
					text.WriteString(s[i:end]) // not a web link: shown as written
				}
				i = end
				continue
			}
		}
		text.WriteByte(s[i])
		i++
	}
	if text.Len() > 0 {
		spans = append(spans, mdSpan{Text: text.String()})
	}
	return spans
}

// mdLinks reads links, [label](url "title") or ![label](url), in one text.
// Each search for the end of a part remembers where it stopped, and the
// searches move left to right, so the text is read about once however many
// [ it holds (a regular expression tried at every [ took minutes on some).
type mdLinks struct {
	s                     string
	label, url, title, sp mdNext
}

// at reads a link whose [ or ![ starts at i: its label, its target and where
// it ends.
func (l *mdLinks) at(i int) (label, target string, end int, ok bool) {
	s := l.s
	open := i + 1
	if s[i] == '!' {
		open++
	}
	closeLabel := l.label.find(s, open, func(c byte) bool { return c == ']' })
	if closeLabel+1 >= len(s) || s[closeLabel+1] != '(' {
		return "", "", 0, false
	}
	p := l.sp.find(s, closeLabel+2, notSpace)
	if p < len(s) && s[p] == '<' {
		p++
	}
	e := l.url.find(s, p, func(c byte) bool { return c == ')' || c == '>' || isSpace(c) })
	q := e
	if q < len(s) && s[q] == '>' {
		q++
	}
	r := l.sp.find(s, q, notSpace)
	if r > q && r < len(s) && s[r] == '"' { // a title, after a space
		t := l.title.find(s, r+1, func(c byte) bool { return c == '"' })
		if t >= len(s) {
			return "", "", 0, false
		}
		r = l.sp.find(s, t+1, notSpace)
	}
	if r >= len(s) || s[r] != ')' {
		return "", "", 0, false
	}
	return s[open:closeLabel], s[p:e], r + 1, true
}

// mdNext finds the first byte at or after a position that stops a search,
// remembering its last answer: no byte in [from, at) stops it, so any search
// that starts in between ends at the same place.
type mdNext struct {
	from, at int
	valid    bool
}

func (n *mdNext) find(s string, i int, stop func(byte) bool) int {
	if n.valid && n.from <= i && i <= n.at {
		return n.at
	}
	j := i
	for j < len(s) && !stop(s[j]) {
		j++
	}
	n.from, n.at, n.valid = i, j, true
	return j
}

func isSpace(c byte) bool  { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func notSpace(c byte) bool { return !isSpace(c) }
