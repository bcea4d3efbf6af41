package sdktests

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const userAgent = "wsgate-sdk-tests/go"

const asciiMsg = "hello from go"
const utf8Msg = "h\u00e9llo w\u00f6rld \u2014 \u2713 \u65e5\u672c\u8a9e \U0001F389"

// gateEnv is what sdk-tests/run.sh exports for the running wsgate.
type gateEnv struct {
	URL, Endpoint, WSURL, Auth, Region, AccessKeyID, SecretAccessKey string
}

func getenv(t *testing.T, name, dflt string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	if dflt == "" {
		t.Fatalf("%s is not set: start wsgate and export it (see sdk-tests/README.md)", name)
	}
	return dflt
}

func gate(t *testing.T) gateEnv {
	url := strings.TrimRight(getenv(t, "WSGATE_URL", ""), "/")
	stage := getenv(t, "WSGATE_STAGE", "local")
	return gateEnv{
		URL:             url,
		Endpoint:        url + "/" + stage,
		WSURL:           "ws" + strings.TrimPrefix(url, "http") + "/" + stage, // http -> ws, https -> wss
		Auth:            getenv(t, "WSGATE_AUTH", "sigv4"),
		Region:          getenv(t, "WSGATE_REGION", "us-east-1"),
		AccessKeyID:     getenv(t, "WSGATE_ACCESS_KEY_ID", "AKIDWSGATE"),
		SecretAccessKey: getenv(t, "WSGATE_SECRET_ACCESS_KEY", "wsgate-secret"),
	}
}

func openConnections(t *testing.T, g gateEnv) map[string]bool {
	resp, err := http.Get(g.URL + "/_wsgate/connections")
	if err != nil {
		t.Fatalf("GET /_wsgate/connections: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Connections []string `json:"connections"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET /_wsgate/connections: %v", err)
	}
	set := map[string]bool{}
	for _, id := range body.Connections {
		set[id] = true
	}
	return set
}

// peer is a real WebSocket client connected to wsgate.
type peer struct {
	ID   string
	Conn *websocket.Conn
	t    *testing.T
}

func openPeer(t *testing.T, g gateEnv) *peer {
	t.Helper()
	before := openConnections(t, g)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, g.WSURL, &websocket.DialOptions{HTTPHeader: http.Header{"User-Agent": {userAgent}}})
	if err != nil {
		t.Fatalf("dial %s: %v", g.WSURL, err)
	}
	c.SetReadLimit(1 << 20) // the default (32 KiB) is below what PostToConnection may send
	p := &peer{Conn: c, t: t}
	t.Cleanup(func() { c.CloseNow() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		var added []string
		for id := range openConnections(t, g) {
			if !before[id] {
				added = append(added, id)
			}
		}
		if len(added) == 1 {
			p.ID = added[0]
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("could not identify the new connection: %v", added)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *peer) nextText() []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, data, err := p.Conn.Read(ctx)
	if err != nil {
		p.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		p.t.Fatalf("expected a text message, got %v", typ)
	}
	return data
}

// closeCode reads until the server closes and returns the close status code.
func (p *peer) closeCode() websocket.StatusCode {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := p.Conn.Read(ctx)
		if err != nil {
			return websocket.CloseStatus(err) // -1 if the error is not a close frame
		}
		p.t.Logf("message before the close frame: %q", data)
	}
}

func pattern(n int) []byte {
	const block = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
	out := make([]byte, n)
	for i := range out {
		out[i] = block[i%len(block)]
	}
	return out
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
