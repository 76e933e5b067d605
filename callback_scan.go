package main

// scanCallback is the fast path of callbackTaskID: one pass over the body
// that checks it is valid JSON and picks out the top-level task_id and
// task.task_id, at about twice the speed of jsontext's tokens (BenchmarkCallbackTaskID).
//
// ok is false for anything it leaves to decodeCallbackTaskID: a body that is
// not valid JSON, any escape sequence in a name or a \u escape anywhere, an
// id that is not a plain ASCII string or null, an id given twice, very deep
// nesting. When ok is true, the ids are what decodeCallbackTaskID reads;
// FuzzScanCallback holds the two to that.
func scanCallback(body []byte) (outer, inner idField, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return outer, inner, false
	}
	i, ok = members(body, i+1, 1, func(key []byte, i int) (int, bool) {
		switch string(key) {
		case "task_id":
			return plainID(body, i, &outer)
		case "task":
			// As in decodeCallbackTaskID, the ids of every "task" object count.
			if body[i] != '{' {
				return skipValue(body, i, 1)
			}
			return members(body, i+1, 2, func(key []byte, i int) (int, bool) {
				if string(key) == "task_id" {
					return plainID(body, i, &inner)
				}
				return skipValue(body, i, 2)
			})
		}
		return skipValue(body, i, 1)
	})
	if !ok || skipSpace(body, i) != len(body) {
		return outer, inner, false
	}
	return outer, inner, true
}

// maxScanDepth is well under encoding/json's own limit (10000), so that
// whatever this scanner accepts the decoder accepts too.
const maxScanDepth = 1000

// The scanning functions take the body and the index to start at, and return
// the index just past what they scanned and whether it was valid JSON.

func skipSpace(b []byte, i int) int {
	// Compact JSON has none, and every byte that means something is above ' '.
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// members scans the members of an object whose '{' is just before i,
// calling member with each key (unescaped keys only) and the index of its
// value, which member scans.
func members(b []byte, i, depth int, member func(key []byte, i int) (int, bool)) (int, bool) {
	i = skipSpace(b, i)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		end, escaped, ok := skipString(b, i+1)
		if !ok || escaped {
			return i, false
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return i, false
		}
		if i, ok = member(key, i); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '}':
			return i + 1, true
		case ',':
			i = skipSpace(b, i+1)
		default:
			return i, false
		}
	}
}

// skipValue scans any JSON value starting at i, inside depth containers.
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		end, _, ok := skipString(b, i+1)
		return end, ok
	case c == '-' || '0' <= c && c <= '9':
		return skipNumber(b, i)
	case c == '{' || c == '[':
		return skipContainer(b, i, depth)
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	}
	return i, false
}

// skipContainer scans an object or an array starting at i.
func skipContainer(b []byte, i, depth int) (int, bool) {
	if depth++; depth > maxScanDepth {
		return i, false
	}
	close := byte(']')
	if b[i] == '{' {
		close = '}'
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == close {
		return i + 1, true
	}
	for {
		var ok bool
		if close == '}' {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			if i, _, ok = skipString(b, i+1); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			i = skipSpace(b, i+1)
		}
		if i, ok = skipValue(b, i, depth); !ok {
			return i, false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case close:
			return i + 1, true
		case ',':
			i = skipSpace(b, i+1)
		default:
			return i, false
		}
	}
}

func skipLiteral(b []byte, i int, word string) (int, bool) {
	if len(b)-i >= len(word) && string(b[i:i+len(word)]) == word {
		return i + len(word), true
	}
	return i, false
}

// plainStringByte marks the bytes a string holds as they are: not a quote,
// not a backslash, not a control character. Bytes from 0x80 up pass, as
// encoding/json lets them.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString scans the rest of a string whose '"' is just before i, through
// its closing quote, and says whether it held an escape.
func skipString(b []byte, i int) (end int, escaped, ok bool) {
	for {
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return i, escaped, false
		}
		switch b[i] {
		case '"':
			return i + 1, escaped, true
		case '\\':
			escaped = true
			i++
			if i >= len(b) {
				return i, escaped, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			// \u escapes, surrogates and all, are left to the decoder.
			default:
				return i, escaped, false
			}
		default: // a control character
			return i, escaped, false
		}
	}
}

// skipNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// plainID scans an id's value into f: null (absent), or a string of
// printable ASCII without escapes. A second id, or any other value, is left
// to the decoder, which words the error.
func plainID(b []byte, i int, f *idField) (int, bool) {
	if end, ok := skipLiteral(b, i, "null"); ok {
		return end, !f.present
	}
	if f.present || b[i] != '"' {
		return i, false
	}
	end, escaped, ok := skipString(b, i+1)
	if !ok || escaped {
		return end, false
	}
	for _, c := range b[i+1 : end-1] {
		if c >= 0x7f {
			return end, false
		}
	}
	f.value, f.present = string(b[i+1:end-1]), true
	return end, true
}
