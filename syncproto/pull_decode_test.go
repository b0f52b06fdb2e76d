package syncproto

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// decodeCases are pages DecodePull reads on its fast path (the first
// fastCases) and pages it leaves to json.Unmarshal; both must give
// json.Unmarshal's result.
const fastCases = 5

var decodeCases = []string{
	`{"changes":[],"cursor":"","has_more":false}`,
	`{"changes":[{"collection":"households","id":"01J-a","version":7,"deleted":false,"fields":{"head_name":"赵大","n":-1.5e+3,"a":[1,{"b":null}],"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"},"meta":{"open_conflicts":1}}],"cursor":"djE6Nw","has_more":true}`,
	" {\n\t\"has_more\" : true , \"cursor\":\"c\",\"changes\" : [ { \"meta\":{},\"fields\":[ ] , \"version\":-0,\"id\":\"名\"} ] } \r\n",
	`{"changes":[{"collection":"m","version":9223372036854775807,"deleted":true,"fields":{},"meta":{"left_scope":true}}]}`,
	`{}`,
	// json.Unmarshal's part:
	`{"changes":null,"cursor":"c"}`,
	`{"changes":[null,{"id":"x"}]}`,
	`{"Cursor":"c","changes":[]}`,
	`{"cursor":"a","cursor":"b"}`,
	`{"changes":[{"id":"a\u00e9"}]}`,
	`{"changes":[{"id":"` + "\xff" + `"}]}`,
	`{"changes":[{"fields":{"k":"` + "\xff" + `"}}]}`,
	`{"changes":[{"fields":null,"meta":null}]}`,
	`{"changes":[{"version":1.0}]}`,
	`{"changes":[{"version":1e3}]}`,
	`{"changes":[{"version":9223372036854775808}]}`,
	`{"changes":[{"version":"7"}]}`,
	`{"changes":[{"fields":{"a":01}}]}`,
	`{"changes":[{"fields":{"a":1.}}]}`,
	`{"changes":[{"fields":{"a":"x` + "\n" + `"}}]}`,
	`{"changes":[{"fields":{"a":"\x"}}]}`,
	`{"changes":[{"fields":{"a":tru}}]}`,
	`{"changes":[{"unknown":[1,2]}],"extra":{}}`,
	`{"changes":[]} x`,
	`{"changes":[],}`,
	`[]`,
	``,
	`{"changes":[{"fields":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}]}`,
}

func TestDecodePullMatchesUnmarshal(t *testing.T) {
	for i, page := range decodeCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			checkDecodePull(t, []byte(page))
			var r PullResponse
			d := pullDecoder{b: []byte(page)}
			if fast := d.page(&r); fast != (i < fastCases) {
				t.Fatalf("%s: fast path %v", page, fast)
			}
		})
	}
	// A page AppendJSON wrote is read on the fast path.
	r := &PullResponse{Cursor: "djE6MTA", HasMore: true, Changes: []Change{
		{Collection: "households", ID: "01J-a", Version: 7, Fields: json.RawMessage(`{"head_name":"赵大","n":1.5}`), Meta: json.RawMessage(`{}`)},
		{Collection: "members", ID: "m", Version: 8, Deleted: true, Fields: json.RawMessage(`{}`), Meta: json.RawMessage(`{"left_scope":true}`)},
	}}
	var got PullResponse
	d := pullDecoder{b: r.AppendJSON(nil)}
	if !d.page(&got) || !reflect.DeepEqual(&got, r) {
		t.Fatalf("fast path: %+v, want %+v", got, r)
	}
}

func FuzzDecodePull(f *testing.F) {
	for _, page := range decodeCases {
		f.Add([]byte(page))
	}
	f.Fuzz(func(t *testing.T, page []byte) { checkDecodePull(t, page) })
}

func checkDecodePull(t *testing.T, page []byte) {
	t.Helper()
	var want, got PullResponse
	werr := json.Unmarshal(page, &want)
	got.Cursor = "stale" // DecodePull resets r
	gerr := DecodePull(page, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: DecodePull error %v, json.Unmarshal error %v", page, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\nDecodePull     %+v\njson.Unmarshal %+v", page, got, want)
	}
}

func BenchmarkDecodePull(b *testing.B) {
	r := &PullResponse{Cursor: "djE6MTA", HasMore: true}
	fields := json.RawMessage(`{"address":"` + strings.Repeat("东村", 60) + `","head_name":"赵大","members":[{"name":"赵一","age":31}],"income":1234.5,"notes":"` + strings.Repeat("家庭情况", 50) + `"}`)
	for i := range 500 {
		r.Changes = append(r.Changes, Change{Collection: "households", ID: fmt.Sprintf("h%08d", i), Version: int64(i), Fields: fields, Meta: json.RawMessage(`{}`)})
	}
	page := r.AppendJSON(nil)
	b.SetBytes(int64(len(page)))
	b.Run("DecodePull", func(b *testing.B) {
		for range b.N {
			var p PullResponse
			if err := DecodePull(page, &p); err != nil || len(p.Changes) != 500 {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		for range b.N {
			var p PullResponse
			if err := json.Unmarshal(page, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
