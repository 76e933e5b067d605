package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestValidTaskID(t *testing.T) {
	for _, id := range []string{"5f0c0e4a2b9d8c0017a1b2c3", "a", "A-Z_0-9", strings.Repeat("x", 128)} {
		if err := validTaskID(id); err != nil {
			t.Errorf("validTaskID(%q): got %v, want nil", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a.json", "a b", "a\x00b", "é", strings.Repeat("x", 129)} {
		if err := validTaskID(id); err == nil {
			t.Errorf("validTaskID(%q): got nil, want an error", id)
		}
	}
}

// FuzzCallbackTaskID checks that whatever the body, an accepted one is a JSON
// object whose task id is valid and is the one it names. Its seeds run in
// every go test.
func FuzzCallbackTaskID(f *testing.F) {
	for _, seed := range []string{
		testCallback,
		`{"task_id":"abc"}`,
		`{"task":{"task_id":"abc"}}`,
		`{"task_id":"abc","task":{"task_id":"abd"}}`,
		`{"task_id":"../../etc/passwd"}`,
		`{"task_id":"a\u002fb"}`,
		`{"task_id":"abc","task_id":"../x"}`,
		`{"task_id":1}`,
		`[]`,
		`{"task_id":"abc"} trailing`,
		"\xff\xfe{}",
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := callbackTaskID(body)
		if err != nil {
			if err.Error() == "" {
				t.Error("an error with no message")
			}
			return
		}
		if verr := validTaskID(id); verr != nil {
			t.Fatalf("accepted an invalid id %q: %v", id, verr)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(body, &top); err != nil {
			t.Fatalf("accepted a body that is not a JSON object: %q", body)
		}
		var outer string
		json.Unmarshal(top["task_id"], &outer)
		var task struct {
			TaskID *string `json:"task_id"`
		}
		json.Unmarshal(top["task"], &task)
		if id != outer && (task.TaskID == nil || id != *task.TaskID) {
			t.Fatalf("id %q is neither task_id %q nor task.task_id", id, outer)
		}
	})
}

// BenchmarkCallbackTaskID measures the parse that every callback pays, on the
// built-in 1 KB sample and on a 200 KB task of boxes and polygons.
func BenchmarkCallbackTaskID(b *testing.B) {
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"1KB", sampleCallback},
		{"200KB", largeCallback(240)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := callbackTaskID(tc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// largeCallback is an imageannotation callback with n boxes and n polygons.
func largeCallback(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"task_id":"5f0c0e4a2b9d8c0017a1b2c3","status":"completed","response":{"annotations":[`)
	for i := range n {
		fmt.Fprintf(&sb, `{"type":"box","label":"car","uuid":"0b7c8f4e-%04d-4d3a-9a55-1f0e5c9b2a71","left":%d,"top":%d.5,"width":120.25,"height":80.75,"attributes":{"occluded":"no","truncated":"partially"}},`, i, 10+i, 20+i)
		sb.WriteString(`{"type":"polygon","label":"pedestrian","uuid":"7e1d2c3b-`)
		fmt.Fprintf(&sb, `%04d-4f5e-8a9b-0c1d2e3f4a5b","vertices":[`, i)
		for v := range 12 {
			if v > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `{"x":%d.125,"y":%d.875}`, 100+v*7+i, 200+v*5)
		}
		sb.WriteString(`],"attributes":{"pose":"walking"}}`)
		if i < n-1 {
			sb.WriteString(",")
		}
	}
	sb.WriteString(`],"global_attributes":{"weather":"clear"}},"task":{"task_id":"5f0c0e4a2b9d8c0017a1b2c3","type":"imageannotation","status":"completed","params":{"attachment":"https://example.com/street.jpg"}}}`)
	return []byte(sb.String())
}
