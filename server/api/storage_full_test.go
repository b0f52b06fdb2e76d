package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// A full disk is 503 storage_full with a Retry-After, logged, and its
// cause never reaches the client: from a store (server.StorageFull) and
// from a file write that hit ENOSPC.
func TestStorageFullIsA503WithRetryAfter(t *testing.T) {
	scenarios := []struct {
		name string
		err  error
	}{
		{"store", fmt.Errorf("push: %w", server.StorageFull(fmt.Errorf("commit: database or disk is full (13)")))},
		{"file", fmt.Errorf("save photo: %w", &fs.PathError{Op: "write", Path: "/data/photos/x", Err: syscall.ENOSPC})},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var logged bytes.Buffer
			e := echo.New()
			rec := httptest.NewRecorder()
			c := e.NewContext(httptest.NewRequest(http.MethodPost, "/v1/sync/push", nil), rec)
			errorHandler(slog.New(slog.NewTextHandler(&logged, nil)))(sc.err, c)
			var p syncproto.Problem
			if rec.Code != http.StatusServiceUnavailable || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Code != syncproto.CodeStorageFull {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if ra := rec.Header().Get("Retry-After"); ra != "300" {
				t.Fatalf("Retry-After %q, want 300", ra)
			}
			if strings.Contains(rec.Body.String(), "disk is full") || strings.Contains(rec.Body.String(), "/data") {
				t.Fatalf("the cause leaks: %s", rec.Body)
			}
			if !strings.Contains(logged.String(), "storage_full: request refused") {
				t.Fatalf("not logged: %q", logged.String())
			}
		})
	}
	if StatusOf(syncproto.CodeStorageFull) != http.StatusServiceUnavailable {
		t.Fatal("storage_full is not 503")
	}
	if server.IsStorageFull(fmt.Errorf("x: %w", syscall.EACCES)) {
		t.Fatal("EACCES taken for a full disk")
	}
}
