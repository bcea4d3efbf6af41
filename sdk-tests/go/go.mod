module wsgate.local/sdk-tests/go

go 1.23

require (
	github.com/aws/aws-sdk-go-v2 v1.41.2
	github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi v1.29.11
	github.com/aws/smithy-go v1.24.1
	github.com/coder/websocket v1.8.14
)

require (
	github.com/aws/aws-sdk-go-v2/internal/configsources v1.4.18 // indirect
	github.com/aws/aws-sdk-go-v2/internal/endpoints/v2 v2.7.18 // indirect
)
