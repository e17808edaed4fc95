package index

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxReasonPhrase is the longest reason phrase the proxy writes, in bytes;
// longer reasons are cut (the body keeps the whole reason).
const MaxReasonPhrase = 300

// ReasonPhrase returns s as a safe HTTP reason phrase: one line of
// printable ASCII (RFC 9112 allows HTAB, SP, VCHAR and obs-text; we keep
// to SP and VCHAR so that no client mangles it), with every run of
// whitespace or control characters turned into one space, every other
// non-ASCII character into "?", and at most [MaxReasonPhrase] bytes. An
// empty result means the caller should use the standard phrase.
func ReasonPhrase(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029:
			space = true
			continue
		case r > 0x7e:
			r = '?'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		if b.Len() > MaxReasonPhrase {
			break
		}
	}
	out := b.String()
	if len(out) > MaxReasonPhrase {
		out = out[:MaxReasonPhrase-3] + "..."
	}
	return out
}

// refuse answers with code and reason: the reason is the HTTP reason
// phrase (pip prints it for a failed download: "HTTP error 403 Client
// Error: <phrase> for url: ...") and the body. Go's net/http always writes
// the standard phrase, so on HTTP/1.x refuse takes over the connection and
// writes the response itself, then closes the connection. Where that is not
// possible (HTTP/2), it writes a normal response with the reason in the
// body and the X-Airlock-Reason header.
func refuse(w http.ResponseWriter, r *http.Request, code int, reason string) {
	phrase := ReasonPhrase("airlock: " + reason)
	body := "airlock: " + strings.TrimSpace(reason) + "\n"
	if r.ProtoMajor == 1 {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, buf, err := hj.Hijack(); err == nil {
				defer conn.Close()
				conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
				fmt.Fprintf(buf, "HTTP/1.%d %03d %s\r\n", r.ProtoMinor, code, phrase)
				fmt.Fprintf(buf, "Date: %s\r\n", time.Now().UTC().Format(http.TimeFormat))
				buf.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
				buf.WriteString("X-Content-Type-Options: nosniff\r\n")
				fmt.Fprintf(buf, "X-Airlock-Reason: %s\r\n", phrase)
				buf.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
				buf.WriteString("Connection: close\r\n\r\n")
				if r.Method != http.MethodHead {
					buf.WriteString(body)
				}
				buf.Flush()
				return
			}
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Airlock-Reason", phrase)
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		fmt.Fprint(w, body)
	}
}
