package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// maxTaskIDLen bounds a task id; Scale's are 24 hex characters.
const maxTaskIDLen = 128

// validTaskID checks that id can name a file or an object key as it is:
// 1 to 128 characters of A-Z a-z 0-9 _ -. Nothing else, so no "../x" or "a/b"
// ever reaches a path or a key.
func validTaskID(id string) error {
	if id == "" {
		return errors.New("the task id is empty")
	}
	if len(id) > maxTaskIDLen {
		return fmt.Errorf("the task id is %d characters long; at most %d are allowed", len(id), maxTaskIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("the task id %q has the character %q; only A-Z, a-z, 0-9, _ and - are allowed", id, c)
		}
	}
	return nil
}

// callbackTaskID returns the task id of a callback body: the top-level
// task_id, else task.task_id; where both are present they must agree. The
// body must be one JSON object. The error says what is wrong with the body.
func callbackTaskID(body []byte) (string, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return "", errors.New("the body is empty; send the task's JSON object")
	}
	if trimmed[0] != '{' {
		return "", errors.New("the body is not a JSON object")
	}
	// A map keeps the names exact: a struct would also match "Task_ID".
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return "", fmt.Errorf("the body is not valid JSON: %v", err)
	}
	outer, hasOuter, err := stringField(top, "task_id", "task_id")
	if err != nil {
		return "", err
	}
	var inner string
	var hasInner bool
	if raw, ok := top["task"]; ok && bytes.HasPrefix(raw, []byte("{")) {
		var task map[string]json.RawMessage
		if err := json.Unmarshal(raw, &task); err != nil {
			return "", fmt.Errorf("the field task is not a JSON object: %v", err)
		}
		inner, hasInner, err = stringField(task, "task_id", "task.task_id")
		if err != nil {
			return "", err
		}
	}
	id := outer
	switch {
	case hasOuter && hasInner && outer != inner:
		return "", fmt.Errorf("task_id %q and task.task_id %q disagree", outer, inner)
	case !hasOuter && !hasInner:
		return "", errors.New("the body has no task_id (nor task.task_id)")
	case !hasOuter:
		id = inner
	}
	if err := validTaskID(id); err != nil {
		return "", err
	}
	return id, nil
}

// stringField reads the string obj[name]; an absent or null field is not
// present, anything but a string is an error that calls it path.
func stringField(obj map[string]json.RawMessage, name, path string) (string, bool, error) {
	raw, ok := obj[name]
	if !ok || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("%s must be a string, not %s", path, truncate(string(raw), 40))
	}
	return s, true, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
