package photos

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/ruhu-org/ruhu/server"
	"github.com/ruhu-org/ruhu/syncproto"
)

// problemJSON is an RFC 9457 body, as server/api writes it.
func problemJSON(status int, code, detail string) string {
	b, _ := json.Marshal(syncproto.Problem{Type: "https://ruhu.dev/problems/" + code,
		Title: http.StatusText(status), Status: status, Detail: detail, Code: code})
	return string(b)
}

// tusCodes names the tus errors that have a ruhu code; the others become
// their own code in snake case ("ERR_MISMATCHED_OFFSET" → "mismatched_offset").
var tusCodes = map[string]string{
	"ERR_MAX_SIZE_EXCEEDED":     syncproto.CodePayloadTooLarge,
	"ERR_UPLOAD_SIZE_EXCEEDED":  syncproto.CodePayloadTooLarge,
	"ERR_UPLOAD_NOT_FOUND":      syncproto.CodeNotFound,
	"ERR_INTERNAL_SERVER_ERROR": syncproto.CodeInternal,
	"ERR_LOCK_TIMEOUT":          syncproto.CodeInternal,
}

// interruptions are the tus errors of a PATCH whose body stopped coming:
// the link was cut (the client resumes from HEAD's offset) or went idle
// for UploadConfig.IdleTimeout. They are not bad requests.
var interruptions = map[string]int{
	"ERR_UNEXPECTED_EOF":     StatusClientClosed,
	"ERR_CONNECTION_RESET":   StatusClientClosed,
	"ERR_READ_TIMEOUT":       http.StatusRequestTimeout,
	"ERR_UPLOAD_INTERRUPTED": StatusClientClosed, // another PATCH of the upload took over
}

// StatusClientClosed is the status logged (and written, to no one) for an
// upload whose client went away mid-chunk: nginx's 499, not a 4xx the
// client caused.
const StatusClientClosed = 499

// problemWriter turns tusd's text/plain error answers ("ERR_CODE: message")
// into problem+json with the same status. tusd puts err.Error() of any
// internal error in that message; problemWriter logs it and answers
// "internal error" instead. Answers that are already problem+json (ruhu's
// own refusals) and successes pass through.
type problemWriter struct {
	http.ResponseWriter
	r       *http.Request
	log     *slog.Logger
	status  int // set when the answer is being rewritten
	tusBody bytes.Buffer
}

// Unwrap lets http.ResponseController (used by tusd for deadlines) reach
// the connection.
func (w *problemWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *problemWriter) WriteHeader(status int) {
	ct := w.Header().Get("Content-Type")
	if status >= 400 && !strings.HasPrefix(ct, syncproto.ProblemContentType) {
		w.status = status
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if w.status != 0 {
		if w.tusBody.Len() < 4096 {
			w.tusBody.Write(b)
		}
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// finish writes the rewritten answer, if there is one.
func (w *problemWriter) finish() {
	if w.status == 0 {
		return
	}
	tusCode, msg, _ := strings.Cut(strings.TrimSpace(w.tusBody.String()), ": ")
	if status, ok := interruptions[tusCode]; ok {
		w.log.InfoContext(w.r.Context(), "upload: transfer interrupted", "method", w.r.Method,
			"path", w.r.URL.Path, "reason", strings.ToLower(strings.TrimPrefix(tusCode, "ERR_")))
		w.writeProblem(status, syncproto.CodeTransferInterrupted,
			"the upload stopped before its end; ask HEAD for the offset and resume")
		return
	}
	code, known := tusCodes[tusCode]
	switch {
	case known:
	case strings.HasPrefix(tusCode, "ERR_"):
		code = strings.ToLower(strings.TrimPrefix(tusCode, "ERR_"))
	case w.status < 500: // no tus code: a HEAD (no body), or tusd's router
		msg = http.StatusText(w.status)
		code = strings.ToLower(strings.ReplaceAll(msg, " ", "_"))
	}
	if code == "" || code == syncproto.CodeInternal {
		w.log.ErrorContext(w.r.Context(), "upload: internal error", "method", w.r.Method, "status", w.status,
			"tus_code", tusCode, "err", msg)
		code, msg = syncproto.CodeInternal, "internal error"
	}
	w.writeProblem(w.status, code, msg)
}

// writeProblem answers with a problem+json body (no body to a HEAD).
func (w *problemWriter) writeProblem(status int, code, detail string) {
	body := problemJSON(status, code, detail)
	h := w.Header()
	h.Set("Content-Type", syncproto.ProblemContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.status = 0
	w.ResponseWriter.WriteHeader(status)
	if w.r.Method != http.MethodHead {
		_, _ = w.ResponseWriter.Write([]byte(body))
	}
}

// writeError answers with err's code, logging an error that has none.
func (w *problemWriter) writeError(err error, statusOf func(string) int) {
	code, msg := server.ErrorCode(err), server.ErrorMessage(err)
	if code == "" || code == syncproto.CodeInternal {
		w.log.ErrorContext(w.r.Context(), "upload: internal error", "method", w.r.Method, "err", err)
		code, msg = syncproto.CodeInternal, "internal error"
	}
	w.writeProblem(statusOf(code), code, msg)
}
