package auth_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/auth"
	"github.com/ruhu-org/ruhu/server/ruhutest"
	"github.com/ruhu-org/ruhu/syncproto"
)

// BenchmarkLoginBurst300 sends 300 parallel logins for unknown users from
// 300 addresses (no rate limit applies), each checked against a
// DefaultArgon2 hash (19 MiB), and reports the outcomes and the memory the
// process got from the OS.
func BenchmarkLoginBurst300(b *testing.B) {
	env := ruhutest.New(b)
	s, err := auth.New(env.App.Engine, auth.Config{Key: []byte(strings.Repeat("k", 32)), Hasher: auth.DefaultArgon2, Now: env.Now})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	count := map[string]int{}
	var mu sync.Mutex
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range 300 {
			wg.Go(func() {
				_, err := s.Login(context.Background(), syncproto.LoginRequest{Username: fmt.Sprint("ghost", i),
					Password: "wrong-password", DeviceID: "d"}, fmt.Sprintf("198.51.%d.%d", i/250, i%250))
				mu.Lock()
				count[server.ErrorCode(err)]++
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.Sys)/(1<<20), "sys-MB")
	b.ReportMetric(float64(after.Sys-before.Sys)/(1<<20), "sys-growth-MB")
	for code, n := range count {
		b.ReportMetric(float64(n)/float64(b.N), code+"/burst")
	}
}
