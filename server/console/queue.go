package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/server/engine"
	"github.com/ruhu-org/ruhu/syncproto"
)

// queueView is the data of the queue page.
type queueView struct {
	Q          *engine.Queue
	Categories []string
	// Prev and Next are the queries of the neighbouring pages (nil at an
	// end).
	Prev, Next url.Values
}

// queue answers GET /review/queue?village=&category=&conflicts=1&unsigned=1&nocommitment=1&page=.
func (h *Handler) queue(w http.ResponseWriter, r *http.Request, a *server.Actor) error {
	q := r.URL.Query()
	f := engine.QueueFilter{Village: q.Get("village"), Category: q.Get("category"), Conflicts: q.Get("conflicts") == "1",
		Unsigned: q.Get("unsigned") == "1", NoCommitment: q.Get("nocommitment") == "1"}
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 100000 {
			return server.Errorf(syncproto.CodeValidation, "页码无效")
		}
		f.Page = n
	}
	res, err := h.deps.Engine.ConsoleQueue(r.Context(), a, f)
	if err != nil {
		return err
	}
	v := queueView{Q: res, Categories: syncproto.Categories}
	page := func(n int) url.Values {
		p := url.Values{}
		for k, vs := range q {
			p[k] = vs
		}
		p.Set("page", strconv.Itoa(n))
		return p
	}
	if res.Page > 1 {
		v.Prev = page(res.Page - 1)
	}
	if res.Page < res.Pages {
		v.Next = page(res.Page + 1)
	}
	return h.show(w, a, "queue", "queue", "审核队列", v)
}
