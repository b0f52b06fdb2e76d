package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ruhu-org/ruhu/syncproto"
)

// BenchFields returns ~1.5 KB of fields of household number i of village
// t1-v1 with a head ID number of its own, for benchmarks of every store.
func BenchFields(i int) map[string]json.RawMessage {
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%30000)
	prefix := fmt.Sprintf("53%04d%s", i/30000%10000, birth.Format("20060102"))
	prefix += fmt.Sprintf("%03d", i%1000)[:3]
	prefix = prefix[:17]
	head := syncproto.CompleteIDNumber(prefix)
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	return map[string]json.RawMessage{
		"unit_id": q("t1-v1"), "head_name": q("户主" + fmt.Sprint(i)), "head_id_number": q(head),
		"address": q(strings.Repeat("东村", 30)), "category": q("dibao"), "hukou_type": q("rural"),
		"notes": q(strings.Repeat("入户调查记录：家庭收入、财产、支出情况。", 20)),
	}
}

// BenchPush returns a push of n new households numbered from first (> 0),
// with mutation ids equal to their numbers.
func BenchPush(device string, first, n int) *syncproto.PushRequest {
	req := &syncproto.PushRequest{DeviceID: device, Mutations: make([]syncproto.Mutation, 0, n)}
	for id := first; id < first+n; id++ {
		req.Mutations = append(req.Mutations, syncproto.Mutation{MutationID: int64(id), Collection: syncproto.CollHouseholds,
			ID: fmt.Sprintf("h%08d", id), Op: syncproto.OpUpsert, Fields: BenchFields(id)})
	}
	return req
}
