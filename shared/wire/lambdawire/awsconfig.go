package lambdawire

import (
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

// AWSConfig returns the AWS configuration of a function running in Lambda,
// read from the environment by the SDK's own reader (config.NewEnvConfig), as
// config.LoadDefaultConfig resolves it there:
//
//   - credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//     AWS_SESSION_TOKEN, which Lambda sets for the execution role (the first
//     link of the default chain, and the one that answers in Lambda), cached;
//   - region: AWS_REGION, else AWS_DEFAULT_REGION;
//   - endpoints: AWS_ENDPOINT_URL and the per-service AWS_ENDPOINT_URL_DYNAMODB,
//     AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_SESV2 (resolved by each client from
//     the environment source, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS honoured);
//   - AWS_MAX_ATTEMPTS, AWS_RETRY_MODE, AWS_DEFAULTS_MODE (auto reads as
//     legacy), AWS_SDK_UA_APP_ID, the checksum, compression and account id
//     endpoint settings.
//
// It does not read shared config or credentials files, SSO, web identity,
// container or instance credentials: none of them exists in Lambda, and
// leaving them out keeps their clients (STS, SSO, SSO OIDC, sign-in, IMDS)
// out of every bootstrap (about 2 MB each; docs/benchmarks.md). Returns an
// error when the environment holds no access key pair or a malformed setting.
func AWSConfig() (aws.Config, error) {
	env, err := config.NewEnvConfig()
	if err != nil {
		return aws.Config{}, fmt.Errorf("read aws environment: %w", err)
	}
	if !env.Credentials.HasKeys() {
		return aws.Config{}, errors.New("no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	}
	cfg := aws.Config{
		Region: env.Region,
		Credentials: aws.NewCredentialsCache(credentials.StaticCredentialsProvider{
			Value: env.Credentials, Source: []aws.CredentialSource{aws.CredentialSourceEnvVars},
		}),
		Logger:                     logging.NewStandardLogger(os.Stderr),
		ConfigSources:              []any{env},
		RetryMaxAttempts:           env.RetryMaxAttempts,
		RetryMode:                  env.RetryMode,
		DefaultsMode:               aws.DefaultsModeLegacy,
		AppID:                      env.AppID,
		AccountIDEndpointMode:      env.AccountIDEndpointMode,
		RequestChecksumCalculation: env.RequestChecksumCalculation,
		ResponseChecksumValidation: env.ResponseChecksumValidation,
		AuthSchemePreference:       env.AuthSchemePreference,
	}
	if env.DefaultsMode != "" && env.DefaultsMode != aws.DefaultsModeAuto {
		cfg.DefaultsMode = env.DefaultsMode
	}
	if env.BaseEndpoint != "" && (env.IgnoreConfiguredEndpoints == nil || !*env.IgnoreConfiguredEndpoints) {
		cfg.BaseEndpoint = aws.String(env.BaseEndpoint)
	}
	if env.DisableRequestCompression != nil {
		cfg.DisableRequestCompression = *env.DisableRequestCompression
	}
	if env.RequestMinCompressSizeBytes != nil {
		cfg.RequestMinCompressSizeBytes = *env.RequestMinCompressSizeBytes
	}
	return cfg, nil
}
