package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dirStore keeps each task as <dir>/<task_id>.json. A write goes to a
// temporary file that is synced and then renamed over the task's file, and the
// folder is synced too, so a crash leaves either the old or the new version,
// never a torn one. One process owns a folder.
type dirStore struct {
	dir string
}

var _ Store = (*dirStore)(nil)

// tempPrefix marks files that are being written. They never end in .json, so
// they are never read or listed as tasks.
const tempPrefix = ".tmp-"

// newDirStore opens (creating it if needed) the folder dir, checks that files
// can be written in it, and removes temporary files left by a crash.
func newDirStore(dir string) (*dirStore, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create DATA_DIR %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read DATA_DIR %s: %w", dir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	probe, err := os.CreateTemp(dir, tempPrefix+"probe-*")
	if err != nil {
		return nil, fmt.Errorf("DATA_DIR %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return &dirStore{dir: dir}, nil
}

func (s *dirStore) path(taskID string) string {
	return filepath.Join(s.dir, taskID+".json")
}

func (s *dirStore) Put(ctx context.Context, taskID string, body []byte) error {
	return boundedErr(ctx, func() error { return s.put(taskID, body) })
}

func (s *dirStore) put(taskID string, body []byte) error {
	f, err := os.CreateTemp(s.dir, tempPrefix+taskID+"-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", taskID, err)
	}
	tmp := f.Name()
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, s.path(taskID))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", taskID, err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("put %s: sync folder: %w", taskID, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *dirStore) Get(ctx context.Context, taskID string) (*Task, error) {
	return bounded(ctx, func() (*Task, error) { return s.get(taskID) })
}

func (s *dirStore) get(taskID string) (*Task, error) {
	f, err := os.Open(s.path(taskID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", taskID, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", taskID, err)
	}
	body := make([]byte, info.Size())
	if _, err := io.ReadFull(f, body); err != nil {
		return nil, fmt.Errorf("get %s: %w", taskID, err)
	}
	return &Task{Body: body, ETag: contentETag(body), LastModified: info.ModTime().UTC()}, nil
}

func (s *dirStore) List(ctx context.Context, after string, limit int) ([]TaskInfo, bool, error) {
	type page struct {
		infos []TaskInfo
		more  bool
	}
	p, err := bounded(ctx, func() (page, error) {
		infos, more, err := s.list(ctx, after, limit)
		return page{infos, more}, err
	})
	return p.infos, p.more, err
}

func (s *dirStore) list(ctx context.Context, after string, limit int) ([]TaskInfo, bool, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, false, fmt.Errorf("list %s: %w", s.dir, err)
	}
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && e.Type().IsRegular() && id > after && validTaskID(id) == nil {
			ids = append(ids, id)
		}
	}
	// File names sort differently from ids ("a-b.json" < "a.json"), so sort
	// the ids, and stat only the page's files.
	slices.Sort(ids)
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	infos := make([]TaskInfo, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		info, err := os.Stat(s.path(id))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, false, fmt.Errorf("list %s: %w", s.dir, err)
		}
		infos = append(infos, TaskInfo{ID: id, Bytes: info.Size(), LastModified: info.ModTime().UTC()})
	}
	return infos, more, nil
}

func (s *dirStore) Ping(ctx context.Context) error {
	return boundedErr(ctx, func() error {
		info, err := os.Stat(s.dir)
		if err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		if !info.IsDir() {
			return fmt.Errorf("ping: %s is not a folder", s.dir)
		}
		return nil
	})
}

// boundedErr is bounded for an op that returns only an error.
func boundedErr(ctx context.Context, op func() error) error {
	_, err := bounded(ctx, func() (struct{}, error) { return struct{}{}, op() })
	return err
}

// bounded runs op, which blocks on the file system, and gives up waiting
// when ctx ends first: a stalled disk then costs a request a 503, not a hung
// handler. op goes on in the background and its result is dropped; a write
// that finishes late was answered 503 all the same, so Scale sends it again.
func bounded[T any](ctx context.Context, op func() (T, error)) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // op never blocks on sending, even when no one waits
	go func() {
		v, err := op()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("the local folder did not answer in time: %w", ctx.Err())
	}
}

func (s *dirStore) Location(taskID string) string { return s.path(taskID) }
