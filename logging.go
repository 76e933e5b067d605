package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// requestNote collects what a handler learns about a request for its log line.
type requestNote struct {
	taskID string
}

type noteKey struct{}

// noteTaskID records the request's task id for its log line.
func noteTaskID(r *http.Request, taskID string) {
	if n, ok := r.Context().Value(noteKey{}).(*requestNote); ok {
		n.taskID = taskID
	}
}

// logRequests writes one line per request: method, path, status, duration,
// bytes, the task id and Heroku's X-Request-Id. Headers are never logged:
// they carry the callback key and the viewer password.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		note := &requestNote{}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), noteKey{}, note)))
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", rec.bytes),
		}
		if note.taskID != "" {
			attrs = append(attrs, slog.String("task_id", note.taskID))
		}
		if id := r.Header.Get("X-Request-Id"); id != "" {
			attrs = append(attrs, slog.String("request_id", truncate(id, 200)))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// statusRecorder remembers the status and counts the body bytes written.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader && code >= 200 {
		s.status = code
		s.wroteHeader = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
