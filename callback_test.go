package main

import (
	"encoding/json"
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
