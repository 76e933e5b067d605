package taskbody

import (
	"encoding/json"
	"testing"
)

func TestTemplates(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tmpl     *Template
		min, max int
		ids      int // places the task id appears
	}{
		{"small polygon task is about 1 KB", Small(), 900, 1300, 2},
		{"imageannotation task is about 200 KB", Large(), 180 << 10, 220 << 10, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := tc.tmpl.Len(); n < tc.min || n > tc.max {
				t.Errorf("got %d bytes, want %d..%d", n, tc.min, tc.max)
			}
			if len(tc.tmpl.offsets) != tc.ids {
				t.Errorf("got the id in %d places, want %d", len(tc.tmpl.offsets), tc.ids)
			}
			ids := NewIDs()
			id := ids.Next()
			body := tc.tmpl.Body(id)
			var cb struct {
				TaskID string `json:"task_id"`
				Task   struct {
					TaskID string `json:"task_id"`
				} `json:"task"`
			}
			if err := json.Unmarshal(body, &cb); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if cb.TaskID != id || cb.Task.TaskID != id {
				t.Errorf("got task_id %q and task.task_id %q, want %q", cb.TaskID, cb.Task.TaskID, id)
			}
			if !tc.tmpl.Matches(id, body) {
				t.Error("Matches(id, Body(id)) = false, want true")
			}
			other := ids.Next()
			if other == id {
				t.Fatalf("Next gave %q twice", id)
			}
			if tc.tmpl.Matches(other, body) {
				t.Error("Matches(other id, body) = true, want false")
			}
			changed := tc.tmpl.Body(id)
			changed[len(changed)/2] ^= 1
			if tc.tmpl.Matches(id, changed) {
				t.Error("Matches(id, body with one bit flipped) = true, want false")
			}
			if tc.tmpl.Matches(id, body[:len(body)-1]) {
				t.Error("Matches(id, truncated body) = true, want false")
			}
		})
	}
}
