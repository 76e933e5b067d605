package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
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
//
// Most bodies take scanCallback's one pass; whatever it leaves (invalid JSON,
// escapes, a repeated or non-string id) goes to decodeCallbackTaskID, which
// gives every answer and error for those.
func callbackTaskID(body []byte) (string, error) {
	outer, inner, ok := scanCallback(body)
	if !ok {
		return decodeCallbackTaskID(body)
	}
	return pickTaskID(outer, inner)
}

// decodeCallbackTaskID is callbackTaskID through jsontext: the reference that
// scanCallback must agree with.
//
// It reads the body once, as tokens, and skips every value but the ids:
// callbacks run to megabytes of annotations, and this is the server's
// hottest path.
func decodeCallbackTaskID(body []byte) (string, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return "", errors.New("the body is empty; send the task's JSON object")
	}
	if trimmed[0] != '{' {
		return "", errors.New("the body is not a JSON object")
	}
	// Lenient where Scale's JSON could be odd but unambiguous, so that no
	// delivery is refused for it; strict on the ids below.
	dec := jsontext.NewDecoder(bytes.NewReader(body),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	var outer, inner idField
	err := readObject(dec, func(name string) error {
		switch name {
		case "task_id":
			return outer.read(dec, "task_id")
		case "task":
			if dec.PeekKind() != '{' {
				return dec.SkipValue()
			}
			return readObject(dec, func(name string) error {
				if name == "task_id" {
					return inner.read(dec, "task.task_id")
				}
				return dec.SkipValue()
			})
		}
		return dec.SkipValue()
	})
	if err == nil {
		if _, err = dec.ReadToken(); err == io.EOF {
			err = nil
		} else if err == nil {
			err = errors.New("more follows the JSON object")
		}
	}
	if err != nil {
		var idErr *idError
		if errors.As(err, &idErr) {
			return "", idErr
		}
		// jsontext's message speaks of the input (what, and at which byte
		// offset); only its package name is dropped.
		return "", fmt.Errorf("the body is not valid JSON: %s", strings.TrimPrefix(err.Error(), "jsontext: "))
	}
	return pickTaskID(outer, inner)
}

// pickTaskID chooses between the top-level task_id and task.task_id.
func pickTaskID(outer, inner idField) (string, error) {
	id := outer.value
	switch {
	case outer.present && inner.present && outer.value != inner.value:
		return "", fmt.Errorf("task_id %q and task.task_id %q disagree", truncate(outer.value, 40), truncate(inner.value, 40))
	case !outer.present && !inner.present:
		return "", errors.New("the body has no task_id (nor task.task_id)")
	case !outer.present:
		id = inner.value
	}
	if err := validTaskID(id); err != nil {
		return "", err
	}
	return id, nil
}

// readObject reads one JSON object from dec, calling member for each name;
// member must consume the name's value.
func readObject(dec *jsontext.Decoder, member func(name string) error) error {
	if tok, err := dec.ReadToken(); err != nil {
		return err
	} else if tok.Kind() != '{' {
		return fmt.Errorf("want an object, got %v", tok.Kind())
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := member(tok.String()); err != nil {
			return err
		}
	}
	_, err := dec.ReadToken()
	return err
}

// idField is one of the two places a task id can stand.
type idField struct {
	value   string
	present bool
}

// idError is a task id field that is present but not usable.
type idError struct{ msg string }

func (e *idError) Error() string { return e.msg }

// read reads the field's value: a string, or null for absent. The same name
// twice is ambiguous, and refused.
func (f *idField) read(dec *jsontext.Decoder, path string) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if f.present {
		return &idError{path + " appears twice"}
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '"':
		f.value, f.present = tok.String(), true
		return nil
	case '{', '[':
		return &idError{path + " must be a string, not an object or array"}
	}
	return &idError{fmt.Sprintf("%s must be a string, not %s", path, truncate(tok.String(), 40))}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
