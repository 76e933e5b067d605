// Command scale-callback receives Scale AI task callbacks, stores each task's
// JSON in S3 (or a local folder), and serves the tasks back by id.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scale-callback:", err)
		os.Exit(exitCode(err))
	}
}

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd { // the subcommands are described in cli.go
	case "serve":
		if len(args) > 2 {
			return serveArgs(args[2:], stdout, stderr)
		}
		return serve(ctx, getenv, stderr)
	case "create-task":
		return runCreateTask(ctx, args[2:], getenv, stdout, stderr)
	case "send-callback":
		return runSendCallback(ctx, args[2:], getenv, stdin, stdout, stderr)
	case "help", "-h", "-help", "--help":
		return runHelp(args[2:], stdout, stderr)
	}
	return unknownCommand(cmd, stderr)
}

// shutdownGrace is how long in-flight requests get after SIGTERM; Heroku
// sends SIGKILL 30 s after SIGTERM.
const shutdownGrace = 25 * time.Second

// serve runs the HTTP server until ctx ends or SIGINT or SIGTERM arrives, then
// lets in-flight requests finish.
func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	tuneGC(getenv)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	warnAboutSetup(logger, cfg)

	ln, err := net.Listen("tcp", ":"+cfg.port)
	if err != nil {
		return fmt.Errorf("listen on PORT %s: %w", cfg.port, err)
	}
	srv := &http.Server{
		Handler: newServer(logger, store, serverConfig{
			callbackKeys:     cfg.callbackKeys,
			viewerPassword:   cfg.viewerPassword,
			maxCallbackBytes: cfg.maxCallbackBytes,
			storeTimeout:     storeTimeout,
			storeName:        cfg.storeName(),
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "store", cfg.storeName())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal now kills the process at once
	logger.Info("shutting down", "grace", shutdownGrace)
	// The signal ended ctx, so the drain gets a context of its own.
	drainCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// tuneGC lets the heap grow to 4x what is live before a collection, within a
// soft limit of 48 MiB, unless the operator set GOGC or GOMEMLIMIT. Every
// callback and every read holds a whole task in memory, so with large tasks
// Go's default (GOGC=100) collects very often: this cut the server's CPU per
// 200 KB callback from 1.56 to 1.22 ms and per 200 KB read from 0.86 to
// 0.57 ms, while peak RSS stayed under 64 MiB with 64 such callbacks at once
// (go run ./bench; README, Performance).
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(48 << 20)
}

// openStore opens the store the configuration names; in S3 mode it checks that
// the bucket answers, so a bad setting fails now and not on the first callback.
func openStore(ctx context.Context, cfg config) (Store, error) {
	if cfg.s3 == nil {
		return newDirStore(cfg.dataDir)
	}
	s, err := newS3Store(ctx, *cfg.s3)
	if err != nil {
		return nil, err
	}
	if err := s.checkBucket(ctx, *cfg.s3); err != nil {
		return nil, err
	}
	return s, nil
}

// warnAboutSetup logs, once at startup, what an operator should know.
func warnAboutSetup(logger *slog.Logger, cfg config) {
	if cfg.s3 == nil && cfg.onHeroku {
		logger.Warn("DATA IS NOT KEPT: tasks go to the local folder, and a Heroku dyno's disk is wiped on every restart; set S3_BUCKET_NAME", "data_dir", cfg.dataDir)
	}
	if len(cfg.callbackKeys) == 0 {
		logger.Warn("callbacks are accepted without authentication; set SCALE_CALLBACK_AUTH_KEY to the Callback Auth Key from the Scale dashboard")
	}
	if cfg.viewerPassword == "" {
		logger.Info("reads are public: anyone who can reach this server can read every task; set VIEWER_PASSWORD to protect them")
	}
}
