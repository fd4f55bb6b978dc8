// Package secrets reads secret values from AWS Secrets Manager: the adapter
// behind the LOUPE_*_SECRET_ID settings of the Lambda functions, which read
// their secrets once at start-up instead of carrying them in environment
// variables.
//
// Each secret is read in two stages, AWSCURRENT and AWSPREVIOUS: after
// `aws secretsmanager put-secret-value` the new value is current and the one
// it replaced is previous, so a caller that accepts both keeps working while
// the other side (the POS, links in mail already sent) still uses the old one.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// The staging labels Get reads.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// Client is the part of the Secrets Manager API that Get calls, with the
// SDK's signature.
type Client interface {
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ Client = (*secretsmanager.Client)(nil)

// ErrNoString is wrapped by Get's error for a secret version that holds
// binary data instead of a SecretString.
var ErrNoString = errors.New("no SecretString (binary secrets are not supported)")

// Versions are the values of one secret.
type Versions struct {
	// Current is the value in stage AWSCURRENT.
	Current string
	// Previous is the value in stage AWSPREVIOUS: "" when the secret has
	// no such version (it was never rotated) or it holds Current again.
	Previous string
}

// Get returns the versions of each secret in ids (names or ARNs), keyed by
// id, reading every version concurrently. A secret without an AWSPREVIOUS
// version has an empty Previous. Returns an error naming the secret id and
// stage of each version it could not read: wrapping
// *types.ResourceNotFoundException for a missing secret (or AWSCURRENT
// version), the SDK's error for a denied or failed call, ErrNoString for a
// binary secret. Neither the error nor anything else Get writes holds a
// value.
func Get(ctx context.Context, c Client, ids ...string) (map[string]Versions, error) {
	type result struct {
		value string
		err   error
	}
	stages := []string{StageCurrent, StagePrevious}
	results := make([]result, len(ids)*len(stages))
	var wg sync.WaitGroup
	for i, id := range ids {
		for j, stage := range stages {
			wg.Go(func() {
				v, err := get(ctx, c, id, stage)
				results[i*len(stages)+j] = result{v, err}
			})
		}
	}
	wg.Wait()

	out := make(map[string]Versions, len(ids))
	var errs []error
	for i, id := range ids {
		cur, prev := results[i*len(stages)], results[i*len(stages)+1]
		var nf *types.ResourceNotFoundException
		switch {
		case cur.err != nil:
			errs = append(errs, cur.err)
			continue
		case errors.As(prev.err, &nf):
			prev = result{} // never rotated: no previous version
		case prev.err != nil:
			errs = append(errs, prev.err)
			continue
		}
		if prev.value == cur.value {
			prev.value = ""
		}
		out[id] = Versions{Current: cur.value, Previous: prev.value}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// get returns the SecretString of secret id in stage.
func get(ctx context.Context, c Client, id, stage string) (string, error) {
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(id),
		VersionStage: aws.String(stage),
	})
	if err != nil {
		return "", fmt.Errorf("get secret %s (%s): %w", id, stage, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("get secret %s (%s): %w", id, stage, ErrNoString)
	}
	return *out.SecretString, nil
}
