package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
)

// Sign-in (CONTRACT section 3, "Sign-in"; docs/data-model.md): the records
// an address signs in with are listed by GSI2 under SIGNIN#<address> (the
// keys are written with the associate and store items, update.go), the
// codes of sign-in links and the per-hour count of link mails are items of
// their own, each read and written with one request and removed by TTL.

// Item kinds of sign-in.
const (
	KindSignInCode = "signin_code"
	KindSignInRate = "signin_rate"
)

const (
	prefixSignInCode = "SIGNINCODE#"
	prefixSignInRate = "SIGNINRATE#"
	skSignInCode     = "CODE"
)

// SignInRateTTL is how long after the start of its hour a mail counter is
// kept (attribute expires_at): it is read only during its hour.
const SignInRateTTL = 2 * time.Hour

var _ loupe.SignInStore = (*DB)(nil)

// SignInCodeItem is a sign-in link's code: PK=SIGNINCODE#<hash>, SK=CODE,
// the SHA-256 hex hash of the code (never the code), the address it signs
// in, valid_until (the expiry TakeSignInCode compares, nine fractional
// digits) and expires_at (the TTL, epoch seconds, the same instant rounded
// up). A take deletes it; an untaken one goes with TTL.
type SignInCodeItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Kind       string `dynamodbav:"kind"`
	Email      string `dynamodbav:"email"`
	ValidUntil string `dynamodbav:"valid_until"`
	ExpiresAt  int64  `dynamodbav:"expires_at"`
}

// SignInRecords implements loupe.DB with one Query of GSI2 (SIGNIN#<address>,
// more pages only past 1 MB), eventually consistent: associates sort before
// stores (ASSOC# < STORE#), each by id. Returns the DynamoDB or decoding
// error.
func (db *DB) SignInRecords(ctx context.Context, email string) ([]loupe.Associate, []loupe.Store, error) {
	pk := signInPK(email)
	if pk == "" {
		return nil, nil, nil
	}
	var as []loupe.Associate
	var ss []loupe.Store
	err := db.queryIndex(ctx, GSI2, pk, "", func(av map[string]types.AttributeValue) error {
		switch attrString(av, "kind") {
		case KindAssociate:
			a, err := decodeAssociate(av)
			as = append(as, a)
			return err
		case KindStore:
			st, err := decodeStore(av)
			ss = append(ss, st)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sign-in records: %w", err)
	}
	return as, ss, nil
}

// attrString returns the string attribute name of av, "" when absent or of
// another type.
func attrString(av map[string]types.AttributeValue, name string) string {
	if v, ok := av[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// PutSignInCode implements loupe.SignInStore with one PutItem conditioned
// on attribute_not_exists(PK). Returns an error wrapping loupe.ErrExists
// for a hash already stored (taken codes are deleted; an expired one waits
// for TTL), or the DynamoDB error.
func (db *DB) PutSignInCode(ctx context.Context, hash, email string, expires time.Time) error {
	it := SignInCodeItem{
		PK: prefixSignInCode + hash, SK: skSignInCode, Kind: KindSignInCode, Email: email,
		ValidUntil: formatTime(expires), ExpiresAt: expires.Add(time.Second - 1).Unix(),
	}
	if err := db.putNew(ctx, it); err != nil {
		return fmt.Errorf("put sign-in code: %w", err)
	}
	return nil
}

// TakeSignInCode implements loupe.SignInStore with one DeleteItem
// conditioned on attribute_exists(PK) AND valid_until > :now, returning the
// deleted item: of racing takes, DynamoDB lets exactly one delete it. An
// expired code is left for TTL. Returns an error wrapping
// loupe.ErrNotFound, or the DynamoDB or decoding error.
func (db *DB) TakeSignInCode(ctx context.Context, hash string, now time.Time) (string, error) {
	out, err := db.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 db.table,
		Key:                       key(prefixSignInCode+hash, skSignInCode),
		ConditionExpression:       aws.String("attribute_exists(PK) AND valid_until > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": s(formatTime(now))},
		ReturnValues:              types.ReturnValueAllOld,
	})
	if isConditionFailed(err) {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("take sign-in code: %w", err)
	}
	var it SignInCodeItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return "", fmt.Errorf("take sign-in code: decode: %w", err)
	}
	return it.Email, nil
}

// CountSignInMail implements loupe.SignInStore with one UpdateItem of the
// counter SIGNINRATE#<loupe.SignInRateKey>, <loupe.SignInHour>: ADD n 1,
// returning the new value (DynamoDB applies racing ADDs one after the
// other), and expires_at SignInRateTTL after the hour began. Returns the
// DynamoDB error.
func (db *DB) CountSignInMail(ctx context.Context, email string, at time.Time) (int, error) {
	hour := at.UTC().Truncate(time.Hour)
	out, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        db.table,
		Key:              key(prefixSignInRate+loupe.SignInRateKey(email), loupe.SignInHour(hour)),
		UpdateExpression: aws.String("SET #kind = :kind, #exp = if_not_exists(#exp, :exp) ADD #n :one"),
		ExpressionAttributeNames: map[string]string{
			"#kind": "kind", "#exp": "expires_at", "#n": "n",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": s(KindSignInRate),
			":exp":  &types.AttributeValueMemberN{Value: itoa(hour.Add(SignInRateTTL).Unix())},
			":one":  &types.AttributeValueMemberN{Value: "1"},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("count sign-in mail: %w", err)
	}
	nv, ok := out.Attributes["n"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("count sign-in mail: no count returned")
	}
	n, err := strconv.Atoi(nv.Value)
	if err != nil {
		return 0, fmt.Errorf("count sign-in mail: count %q: %w", nv.Value, err)
	}
	return n, nil
}

// IndexSignIn gives the associate and store items written before sign-in
// their GSI2 keys: it reads every associate (GSI4) and store (GSI1) and
// rewrites, with the versioned update of UpdateAssociate and UpdateStore,
// each whose keys do not match its address (the record itself unchanged,
// so an associate's stream record is a MODIFY with equal images). Run once
// after deploying; a second run writes nothing. Returns how many items it
// rewrote, and the first DynamoDB error.
func (db *DB) IndexSignIn(ctx context.Context) (int, error) {
	var rewrites []func() error
	scan := func(index, pk, emailAttr string, rewrite func(id string) error, idAttr string) error {
		return db.queryIndex(ctx, index, pk, "", func(av map[string]types.AttributeValue) error {
			if attrString(av, "GSI2PK") != signInPK(attrString(av, emailAttr)) {
				id := attrString(av, idAttr)
				rewrites = append(rewrites, func() error { return rewrite(id) })
			}
			return nil
		})
	}
	err := scan(GSI4, gsiAssociates, "email", func(id string) error {
		return db.UpdateAssociate(ctx, id, same[loupe.Associate])
	}, "associate_id")
	if err == nil {
		err = scan(GSI1, gsiStores, "manager_email", func(id string) error {
			return db.UpdateStore(ctx, id, same[loupe.Store])
		}, "store_id")
	}
	if err != nil {
		return 0, fmt.Errorf("index sign-in: %w", err)
	}
	for i, rewrite := range rewrites {
		if err := rewrite(); err != nil {
			return i, fmt.Errorf("index sign-in: %w", err)
		}
	}
	return len(rewrites), nil
}

// same is an Update* decision that writes the stored record as it is
// (nothing when there is none).
func same[T any](stored *T) (T, bool, error) {
	if stored == nil {
		var zero T
		return zero, false, nil
	}
	return *stored, true, nil
}
