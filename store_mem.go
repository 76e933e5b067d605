package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"
)

// memStore keeps tasks in memory. It backs the handler tests; nothing survives
// the process.
type memStore struct {
	mu    sync.RWMutex
	tasks map[string]Task
	now   func() time.Time
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{tasks: make(map[string]Task), now: time.Now}
}

func (s *memStore) Put(ctx context.Context, taskID string, body []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := Task{Body: slices.Clone(body), ETag: contentETag(body), LastModified: s.now().UTC()}
	s.mu.Lock()
	s.tasks[taskID] = t
	s.mu.Unlock()
	return nil
}

func (s *memStore) Get(ctx context.Context, taskID string) (*Task, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	t, ok := s.tasks[taskID]
	s.mu.RUnlock()
	if !ok {
		return nil, ErrNotFound
	}
	return &t, nil
}

func (s *memStore) List(ctx context.Context, after string, limit int) ([]TaskInfo, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	s.mu.RLock()
	var infos []TaskInfo
	for id, t := range s.tasks {
		if id > after {
			infos = append(infos, TaskInfo{ID: id, Bytes: int64(len(t.Body)), LastModified: t.LastModified})
		}
	}
	s.mu.RUnlock()
	return firstPage(infos, limit)
}

func (s *memStore) Ping(ctx context.Context) error { return ctx.Err() }

func (s *memStore) Location(taskID string) string { return "memory:" + taskID }

// firstPage sorts infos by id and keeps the first limit of them, reporting
// whether any were cut.
func firstPage(infos []TaskInfo, limit int) ([]TaskInfo, bool, error) {
	slices.SortFunc(infos, func(a, b TaskInfo) int { return strings.Compare(a.ID, b.ID) })
	if len(infos) > limit {
		return infos[:limit], true, nil
	}
	return infos, false, nil
}

// contentETag is the strong HTTP validator of a body: its MD5 in quotes, as S3
// reports for objects written in one PUT.
func contentETag(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}
