//go:build pprof

package main

// This file is built only with -tags pprof, as `go run ./bench -profile DIR`
// does: it serves net/http/pprof on 127.0.0.1 at the port PPROF_PORT names,
// so the server can be profiled under load. Release builds never contain it.

import (
	"net"
	"net/http"
	_ "net/http/pprof" // registers on http.DefaultServeMux, which the API does not use
	"os"
)

func init() {
	if port := os.Getenv("PPROF_PORT"); port != "" {
		go func() { _ = http.ListenAndServe(net.JoinHostPort("127.0.0.1", port), nil) }()
	}
}
