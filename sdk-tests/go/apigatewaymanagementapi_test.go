// aws-sdk-go-v2 service/apigatewaymanagementapi against wsgate (see sdk-tests/README.md).
package sdktests

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/smithy-go"
	"github.com/coder/websocket"
)

func newClient(g gateEnv, secret string) *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		BaseEndpoint: aws.String(g.Endpoint),
		Region:       g.Region,
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: g.AccessKeyID, SecretAccessKey: secret, Source: "wsgate-sdk-tests"}, nil
		})),
		Retryer: aws.NopRetryer{},
	})
}

func post(c *apigatewaymanagementapi.Client, id string, data []byte) error {
	_, err := c.PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: data})
	return err
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func setup(t *testing.T) (gateEnv, *apigatewaymanagementapi.Client, *peer) {
	g := gate(t)
	return g, newClient(g, g.SecretAccessKey), openPeer(t, g)
}

func TestPostASCII(t *testing.T) {
	_, c, p := setup(t)
	must(t, post(c, p.ID, []byte(asciiMsg)), "PostToConnection")
	if got := string(p.nextText()); got != asciiMsg {
		t.Fatalf("got %q, want %q", got, asciiMsg)
	}
}

func TestPostMultibyteUTF8(t *testing.T) {
	_, c, p := setup(t)
	must(t, post(c, p.ID, []byte(utf8Msg)), "PostToConnection")
	if got := p.nextText(); !bytes.Equal(got, []byte(utf8Msg)) {
		t.Fatalf("got % x, want % x", got, []byte(utf8Msg))
	}
}

func TestPost100KB(t *testing.T) {
	_, c, p := setup(t)
	data := pattern(100 * 1024)
	must(t, post(c, p.ID, data), "PostToConnection")
	if got := p.nextText(); !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, want the %d sent bytes", len(got), len(data))
	}
}

func TestPost131072BytesAccepted(t *testing.T) {
	_, c, p := setup(t)
	data := pattern(131072)
	must(t, post(c, p.ID, data), "PostToConnection")
	if got := p.nextText(); !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes, want the %d sent bytes", len(got), len(data))
	}
}

func TestPost131073BytesPayloadTooLarge(t *testing.T) {
	_, c, p := setup(t)
	err := post(c, p.ID, pattern(131073))
	var tooLarge *types.PayloadTooLargeException
	if !errors.As(err, &tooLarge) {
		t.Fatalf("want *types.PayloadTooLargeException, got %T: %v", err, err)
	}
	if s := httpStatus(err); s != 413 {
		t.Fatalf("HTTP status %d, want 413", s)
	}
	must(t, post(c, p.ID, []byte("still open")), "PostToConnection after 413")
	if got := string(p.nextText()); got != "still open" {
		t.Fatalf("got %q", got)
	}
}

func TestGetConnectionTypedFields(t *testing.T) {
	_, c, p := setup(t)
	out, err := c.GetConnection(context.Background(), &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(p.ID)})
	must(t, err, "GetConnection")
	if out.ConnectedAt == nil || out.LastActiveAt == nil || out.Identity == nil {
		t.Fatalf("missing fields: %+v", out)
	}
	var connected, last time.Time = *out.ConnectedAt, *out.LastActiveAt
	if d := time.Since(connected); d > 5*time.Minute || d < -5*time.Minute {
		t.Fatalf("ConnectedAt %v is not close to now", connected)
	}
	if last.Before(connected) {
		t.Fatalf("LastActiveAt %v before ConnectedAt %v", last, connected)
	}
	if ip := aws.ToString(out.Identity.SourceIp); ip != "127.0.0.1" {
		t.Fatalf("SourceIp %q", ip)
	}
	if ua := aws.ToString(out.Identity.UserAgent); ua != userAgent {
		t.Fatalf("UserAgent %q, want %q", ua, userAgent)
	}
}

func TestDeleteConnectionThenGone(t *testing.T) {
	_, c, p := setup(t)
	ctx := context.Background()
	id := aws.String(p.ID)
	_, err := c.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: id})
	must(t, err, "DeleteConnection")
	if code := p.closeCode(); code != websocket.StatusNormalClosure {
		t.Fatalf("close code %d, want 1000", code)
	}
	_, errGet := c.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: id})
	_, errDel := c.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: id})
	for name, err := range map[string]error{"PostToConnection": post(c, p.ID, []byte("too late")), "GetConnection": errGet, "DeleteConnection": errDel} {
		var gone *types.GoneException
		if !errors.As(err, &gone) {
			t.Errorf("%s: want *types.GoneException, got %T: %v", name, err, err)
		} else if s := httpStatus(err); s != 410 {
			t.Errorf("%s: HTTP status %d, want 410", name, s)
		}
	}
}

func TestUnknownConnectionGone(t *testing.T) {
	g := gate(t)
	err := post(newClient(g, g.SecretAccessKey), "AAAAAAAAAAAAAAA=", []byte("x"))
	var gone *types.GoneException
	if !errors.As(err, &gone) {
		t.Fatalf("want *types.GoneException, got %T: %v", err, err)
	}
}

func TestWrongSecret(t *testing.T) {
	g, c, p := setup(t)
	bad := newClient(g, "not-the-secret")
	err := post(bad, p.ID, []byte("forged"))
	if g.Auth != "strict" {
		// --auth sigv4 accepts any well-formed, current signature
		must(t, err, "PostToConnection with any key")
		if got := string(p.nextText()); got != "forged" {
			t.Fatalf("got %q", got)
		}
		return
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("want InvalidSignatureException, got %T: %v", err, err)
	}
	if s := httpStatus(err); s != 403 {
		t.Fatalf("HTTP status %d, want 403", s)
	}
	must(t, post(c, p.ID, []byte("signed")), "PostToConnection with the right secret")
	if got := string(p.nextText()); got != "signed" {
		t.Fatalf("got %q", got)
	}
}
