// Command echo is the reference "raw" OCPP-J server of the benchmark: a
// gorilla WebSocket upgrade at /ocpp/{id} (subprotocol ocpp1.6), one JSON
// parse of every frame into []json.RawMessage, and a canned CALLRESULT per
// action. No validation, no routing, no storage: it is the limit a real
// gateway is measured against, on the same machine in the same run.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	readBuf := flag.Int("read-buffer", 0, "WebSocket read buffer bytes (0: reuse the HTTP server's 4 KiB buffer)")
	flag.Parse()

	up := websocket.Upgrader{
		ReadBufferSize:  *readBuf,
		WriteBufferPool: &sync.Pool{}, // idle connections hold no write buffer
		Subprotocols:    []string{"ocpp1.6"},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/ocpp/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		serve(c)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.SetOutput(os.Stderr)
	log.Fatal(srv.ListenAndServe())
}

func serve(c *websocket.Conn) {
	defer c.Close()
	c.SetReadLimit(64 << 10)
	var out []byte
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		var frame []json.RawMessage // the one JSON parse
		if err := json.Unmarshal(msg, &frame); err != nil || len(frame) < 3 {
			continue
		}
		if string(frame[0]) != "2" || len(frame) != 4 {
			continue // CALLRESULTs and CALLERRORs: nothing to answer
		}
		var action string
		if json.Unmarshal(frame[2], &action) != nil {
			continue
		}
		out = append(out[:0], `[3,`...)
		out = append(out, frame[1]...) // the message id, still quoted
		out = append(out, ',')
		out = appendReply(out, action)
		out = append(out, ']')
		if err := c.WriteMessage(websocket.TextMessage, out); err != nil {
			return
		}
	}
}

// appendReply appends a canned, valid OCPP 1.6 confirmation for action.
func appendReply(b []byte, action string) []byte {
	switch action {
	case "BootNotification":
		b = append(b, `{"status":"Accepted","currentTime":"`...)
		b = time.Now().UTC().AppendFormat(b, time.RFC3339)
		return append(b, `","interval":`+strconv.Itoa(300)+`}`...)
	case "Heartbeat":
		b = append(b, `{"currentTime":"`...)
		b = time.Now().UTC().AppendFormat(b, time.RFC3339)
		return append(b, `"}`...)
	case "StartTransaction":
		return append(b, `{"idTagInfo":{"status":"Accepted"},"transactionId":1}`...)
	case "Authorize", "StopTransaction":
		return append(b, `{"idTagInfo":{"status":"Accepted"}}`...)
	default:
		return append(b, `{}`...)
	}
}
