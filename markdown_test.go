package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestInstructionMarkdown(t *testing.T) {
	cases := []struct {
		name string
		md   string
		want string
	}{
		{"a heading and a paragraph", "# Street scene\n\nDraw a box\naround cars.", "<h4>Street scene</h4><p>Draw a box around cars.</p>"},
		{"emphasis and code", "Mark **occluded** when *mostly* hidden, as `yes`.", "<p>Mark <strong>occluded</strong> when <em>mostly</em> hidden, as <code>yes</code>.</p>"},
		{"a bullet list", "- one\n- two\n\n* three", "<ul><li>one</li><li>two</li><li>three</li></ul>"},
		{"a numbered list", "1. first\n2) second", "<ol><li>first</li><li>second</li></ol>"},
		{"a fenced code block keeps its lines", "```\na < b\n  c\n```", "<pre>a &lt; b\n  c</pre>"},
		{"an https link", "See [the guide](https://scale.com/docs).", `<p>See <a href="https://scale.com/docs" rel="noopener noreferrer">the guide</a>.</p>`},
		{"a javascript: link stays text", "[click](javascript:alert(1))", "<p>[click](javascript:alert(1))</p>"},
		{"an image is a link, never loaded", "![example](https://x.test/e.png)", `<p><a href="https://x.test/e.png" rel="noopener noreferrer">image: example</a></p>`},
		{"markup is text", "<script>alert(1)</script> <img src=x onerror=alert(1)>", "<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;</p>"},
		{"markup inside emphasis is text", "**<b>x</b>**", "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>"},
		{"a lone star is text", "5 * 3 and a*", "<p>5 * 3 and a*</p>"},
		{"snake_case stays as it is", "time_of_day and is_test", "<p>time_of_day and is_test</p>"},
		{"a quote is a paragraph", "> quoted", "<p>quoted</p>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := renderMarkdown(t, c.md); got != c.want {
				t.Errorf("markdown %q:\n got %s\nwant %s", c.md, got, c.want)
			}
		})
	}
}

func renderMarkdown(t *testing.T, src string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := testViews.pages["task.html"].ExecuteTemplate(&buf, "md", markdown(src)); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(buf.String())
}

func FuzzInstructionMarkdown(f *testing.F) {
	for _, s := range []string{"# a\n- b\n1. c\n```\nd", "**a *b* `c` [d](https://e.test)", "![](", "[x](<y>)", "*", "``", "[a](javascript:b)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		page := renderMarkdown(t, src)
		for _, bad := range []string{"<script", "<img", `href="javascript`, `href="data`} {
			if strings.Contains(strings.ToLower(page), bad) {
				t.Errorf("markdown %q gave %s", src, page)
			}
		}
	})
}

func TestHostileInstructionIsReadInBoundedTime(t *testing.T) {
	// Every [ starts a search for the rest of a link; unbounded, this text
	// took minutes.
	src := "Intro **bold**\n\n" + strings.Repeat("[", 200_000) + " tail"
	blocks := markdown(src)
	if len(blocks) < 2 || blocks[0].Kind != "p" {
		t.Fatalf("got %d blocks, want the intro paragraph first", len(blocks))
	}
	var text strings.Builder
	for _, b := range blocks {
		text.WriteString(b.Text)
		for _, sp := range b.Spans {
			text.WriteString(sp.Text)
		}
	}
	if got := strings.Count(text.String(), "["); got != 200_000 {
		t.Errorf("got %d of the 200000 [ shown, want every one", got)
	}
	if !strings.HasSuffix(text.String(), " tail") {
		t.Errorf("the end of the instruction is lost")
	}
}

func BenchmarkMarkdownHostile(b *testing.B) {
	src := strings.Repeat("[", 1<<20) // a 1 MiB instruction of link openers
	for b.Loop() {
		markdown(src)
	}
}

func BenchmarkMarkdownHostileLinks(b *testing.B) {
	// Openers whose targets all run on to one far terminator.
	src := strings.Repeat("[](a", 1<<18) + ">x)"
	for b.Loop() {
		markdown(src)
	}
}
