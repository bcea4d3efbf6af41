// A Go handler for tests/e2e/test_functions.py, built by the test as `bootstrap` (provided.al2023):
// aws-lambda-go speaks the Runtime API itself.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handler(ctx context.Context, event events.APIGatewayWebsocketProxyRequest) (events.APIGatewayProxyResponse, error) {
	var msg struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal([]byte(event.Body), &msg)
	body, _ := json.Marshal(map[string]string{"runtime": "go", "echo": msg.Message, "functionName": lambdacontext.FunctionName})
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(body)}, nil
}

func main() {
	lambda.Start(handler)
}
