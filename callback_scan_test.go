package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/scale-callback/scale-callback/internal/taskbody"
)

// scanCases are bodies on which the one-pass scanner and the decoder must
// agree; fast says whether the scanner should answer without the decoder.
var scanCases = []struct {
	name string
	body string
	fast bool
}{
	{"top-level id", `{"task_id":"abc"}`, true},
	{"nested id", `{"task":{"task_id":"abc"}}`, true},
	{"both ids agree", `{"task_id":"abc","task":{"task_id":"abc","x":[1,2,{"y":null}]}}`, true},
	{"both ids disagree", `{"task_id":"abc","task":{"task_id":"abd"}}`, true},
	{"no id", `{"status":"completed"}`, true},
	{"null id is absent", `{"task_id":null,"task":{"task_id":"abc"}}`, true},
	{"repeated id", `{"task_id":"a","task_id":"b"}`, false},
	{"null after an id", `{"task_id":"a","task_id":null}`, false},
	{"null before an id", `{"task_id":null,"task_id":"a"}`, true},
	{"repeated nested id across two tasks", `{"task":{"task_id":"a"},"task":{"task_id":"a"}}`, false},
	{"a second task without an id", `{"task":{"task_id":"a"},"task":{"other":1}}`, true},
	{"task that is not an object", `{"task":"abc"}`, true},
	{"task that is null", `{"task_id":"x","task":null}`, true},
	{"whitespace all around", " \r\n\t{ \"task_id\" : \"abc\" , \"n\" : -0.5e+10 } \n", true},
	{"numbers of every shape", `{"task_id":"a","n":[0,-0,1.5,1e5,1E-5,-12.25e+3,10]}`, true},
	{"literals", `{"task_id":"a","l":[true,false,null]}`, true},
	{"escapes in values", `{"task_id":"a","s":"\"\\\/\b\f\n\r\t"}`, true},
	{"unicode escapes in values", `{"task_id":"a","s":"\u00e9\uD83D\uDE00\ud800"}`, false},
	{"raw UTF-8 and invalid UTF-8 in values", "{\"task_id\":\"a\",\"s\":\"h\xc3\xa9\xff\"}", true},
	{"id with a bad character", `{"task_id":"a/b"}`, true},
	{"id too long", `{"task_id":"` + strings.Repeat("a", 129) + `"}`, true},
	{"empty id", `{"task_id":""}`, true},
	{"escaped id", `{"task_id":"a\u0062c"}`, false},
	{"id with a plain escape", `{"task_id":"a\/b"}`, false},
	{"non-ASCII id", "{\"task_id\":\"\xff\"}", false},
	{"id with DEL", "{\"task_id\":\"a\x7f\"}", false},
	{"escaped key", `{"task\u005fid":"abc"}`, false},
	{"id that is a number", `{"task_id":5}`, false},
	{"nested id that is an object", `{"task":{"task_id":{}}}`, false},
	{"empty body", ``, false},
	{"only whitespace", " \n", false},
	{"array", `[{"task_id":"abc"}]`, false},
	{"string", `"abc"`, false},
	{"truncated", `{"task_id":"abc"`, false},
	{"trailing comma", `{"task_id":"abc",}`, false},
	{"trailing garbage", `{"task_id":"abc"}x`, false},
	{"two objects", `{"task_id":"abc"}{}`, false},
	{"leading zero", `{"task_id":"a","n":01}`, false},
	{"bare minus", `{"task_id":"a","n":-}`, false},
	{"dot without digits", `{"task_id":"a","n":1.}`, false},
	{"exponent without digits", `{"task_id":"a","n":1e}`, false},
	{"plus sign", `{"task_id":"a","n":+1}`, false},
	{"control character in a string", "{\"task_id\":\"a\",\"s\":\"\x01\"}", false},
	{"bad escape", `{"task_id":"a","s":"\x"}`, false},
	{"short unicode escape", `{"task_id":"a","s":"\u12"}`, false},
	{"misspelt literal", `{"task_id":"a","l":nul}`, false},
	{"missing colon", `{"task_id" "a"}`, false},
	{"unquoted key", `{task_id:"a"}`, false},
	{"byte order mark", "\xef\xbb\xbf{\"task_id\":\"a\"}", false},
	{"deep nesting", `{"task_id":"a","d":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`, false},
}

func TestScanCallbackAgreesWithTheDecoder(t *testing.T) {
	for _, tc := range scanCases {
		t.Run(tc.name, func(t *testing.T) {
			checkScanAgrees(t, []byte(tc.body))
			if _, _, ok := scanCallback([]byte(tc.body)); ok != tc.fast {
				t.Errorf("scanCallback ok = %v, want %v", ok, tc.fast)
			}
		})
	}
}

func TestRealisticCallbacksTakeTheFastPath(t *testing.T) {
	for _, tmpl := range []*taskbody.Template{taskbody.Small(), taskbody.Large()} {
		id := taskbody.NewIDs().Next()
		outer, inner, ok := scanCallback(tmpl.Body(id))
		if !ok || outer != (idField{id, true}) || inner != (idField{id, true}) {
			t.Errorf("%s body: got %+v %+v ok=%v, want %q from both places, ok", tmpl.Name, outer, inner, ok, id)
		}
	}
}

// checkScanAgrees fails when callbackTaskID (the scanner, then the decoder
// for what it leaves) and decodeCallbackTaskID differ on body in any way.
func checkScanAgrees(t *testing.T, body []byte) {
	t.Helper()
	gotID, gotErr := callbackTaskID(body)
	wantID, wantErr := decodeCallbackTaskID(body)
	if gotID != wantID || errString(gotErr) != errString(wantErr) {
		t.Errorf("callbackTaskID(%q) = %q, %v; want %q, %v as decodeCallbackTaskID says", truncate(string(body), 80), gotID, gotErr, wantID, wantErr)
	}
	if _, _, ok := scanCallback(body); ok && !json.Valid(body) {
		t.Errorf("scanCallback accepted %q, which is not valid JSON", truncate(string(body), 80))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func FuzzScanCallback(f *testing.F) {
	for _, tc := range scanCases {
		f.Add([]byte(tc.body))
	}
	f.Add(taskbody.Small().Body(taskbody.NewIDs().Next()))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScanAgrees(t, body)
	})
}

// BenchmarkScanCallback compares the fast path with the decoder alone.
func BenchmarkScanCallback(b *testing.B) {
	for _, tmpl := range []*taskbody.Template{taskbody.Small(), taskbody.Large()} {
		body := tmpl.Body(taskbody.NewIDs().Next())
		for _, fn := range []struct {
			name string
			f    func([]byte) (string, error)
		}{{"scan", callbackTaskID}, {"decode", decodeCallbackTaskID}} {
			b.Run(tmpl.Name+"/"+fn.name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					if _, err := fn.f(body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
