package main

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a Store when no task is stored under an id.
var ErrNotFound = errors.New("task not found")

// Store keeps each task's callback JSON under its task id.
// Every method takes a context that bounds how long the backend may take.
type Store interface {
	// Put stores body under taskID, replacing any earlier delivery, and returns
	// nil only once the write is durable. The body is kept byte for byte.
	Put(ctx context.Context, taskID string, body []byte) error
	// Get returns the task stored under taskID, or ErrNotFound.
	Get(ctx context.Context, taskID string) (*Task, error)
	// List returns up to limit stored tasks whose ids sort after the id `after`,
	// in ascending order of id, and whether more follow.
	List(ctx context.Context, after string, limit int) ([]TaskInfo, bool, error)
	// Ping checks cheaply that the backend answers.
	Ping(ctx context.Context) error
	// Location names where taskID is stored (an s3:// URL or a file path), for
	// acknowledgements and logs.
	Location(taskID string) string
}

// Task is one stored callback body with its metadata.
type Task struct {
	Body         []byte
	ETag         string // a strong validator, quoted as in HTTP
	LastModified time.Time
}

// TaskInfo describes a stored task in a listing.
type TaskInfo struct {
	ID           string    `json:"task_id"`
	Bytes        int64     `json:"bytes"`
	LastModified time.Time `json:"last_modified"`
}
