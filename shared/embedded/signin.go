package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// Buckets of sign-in (CONTRACT section 3, "Sign-in"; docs/data-model.md):
//
//	idx_signin          SignInKey(email) NUL "associate"|"store" NUL id -> nil,
//	                    kept with the associate and store records
//	signin_codes        code hash -> {"email", "expires"}
//	signin_code_expiry  expires (sortKeyTime) NUL code hash -> code hash
//	signin_mail         SignInHour NUL SignInRateKey(email) -> count (decimal)
//
// Expired codes and counters of hours gone are swept by the writes that
// come across them, in the same transaction, so neither bucket grows.
var (
	idxSignIn             = []byte("idx_signin")
	bucketSignInCodes     = []byte("signin_codes")
	bucketSignInExpiry    = []byte("signin_code_expiry")
	bucketSignInMailCount = []byte("signin_mail")
)

// The kinds of record in idx_signin, in the order SignInRecords lists them.
const (
	signInAssociate = "associate"
	signInStore     = "store"
)

// signInKeepHours is how long a mail counter is kept after its hour began
// (as dynamo.SignInRateTTL): callers racing across the hour's end still
// find theirs.
const signInKeepHours = 2 * time.Hour

func init() {
	buckets = append(buckets, idxSignIn, bucketSignInCodes, bucketSignInExpiry, bucketSignInMailCount)
	fills[string(idxSignIn)] = fillSignInIndex
}

var _ loupe.SignInStore = (*DB)(nil)

// signInIndexTx moves record id of kind in idx_signin from address old to
// address new ("" for none); nothing when both are the same address.
func signInIndexTx(tx *bolt.Tx, kind, id, old, new string) error {
	old, new = loupe.SignInKey(old), loupe.SignInKey(new)
	if old == new {
		return nil
	}
	idx := tx.Bucket(idxSignIn)
	if old != "" {
		if err := idx.Delete(key(old, kind, id)); err != nil {
			return err
		}
	}
	if new != "" {
		return idx.Put(key(new, kind, id), nil)
	}
	return nil
}

// fillSignInIndex indexes every stored associate and store: Open calls it
// when it creates idx_signin in a file written before sign-in.
func fillSignInIndex(tx *bolt.Tx) error {
	err := tx.Bucket(bucketAssociates).ForEach(func(k, v []byte) error {
		var a loupe.Associate
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("decode associate %s: %w", k, err)
		}
		return signInIndexTx(tx, signInAssociate, a.AssociateID, "", a.Email)
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketStores).ForEach(func(k, v []byte) error {
		var s loupe.Store
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("decode store %s: %w", k, err)
		}
		return signInIndexTx(tx, signInStore, s.StoreID, "", s.ManagerEmail)
	})
}

// SignInRecords implements loupe.DB with two prefix scans of idx_signin
// (associates, then stores) in one read transaction. Returns the read
// error.
func (db *DB) SignInRecords(ctx context.Context, email string) ([]loupe.Associate, []loupe.Store, error) {
	k := loupe.SignInKey(email)
	if k == "" {
		return nil, nil, nil
	}
	var as []loupe.Associate
	var ss []loupe.Store
	err := db.view(func(tx *bolt.Tx) error {
		if err := indexed(tx, idxSignIn, bucketAssociates, prefix(k, signInAssociate), &as); err != nil {
			return err
		}
		return indexed(tx, idxSignIn, bucketStores, prefix(k, signInStore), &ss)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("sign-in records: %w", err)
	}
	return as, ss, nil
}

// signInCode is the value of a signin_codes key.
type signInCode struct {
	Email   string    `json:"email"`
	Expires time.Time `json:"expires"`
}

// PutSignInCode implements loupe.SignInStore in one transaction. Returns an
// error wrapping loupe.ErrExists for a hash already stored, or the write
// error.
func (db *DB) PutSignInCode(ctx context.Context, hash, email string, expires time.Time) error {
	err := db.update(func(tx *bolt.Tx) error {
		codes := tx.Bucket(bucketSignInCodes)
		if codes.Get([]byte(hash)) != nil {
			return loupe.ErrExists
		}
		expires = expires.UTC()
		if err := putJSON(codes, hash, signInCode{Email: email, Expires: expires}); err != nil {
			return err
		}
		return tx.Bucket(bucketSignInExpiry).Put(key(sortKeyTime(expires), hash), []byte(hash))
	})
	if err != nil {
		return fmt.Errorf("put sign-in code: %w", err)
	}
	return nil
}

// TakeSignInCode implements loupe.SignInStore: in one transaction it sweeps
// the codes expired by now, then deletes the code and returns its email.
// Transactions are serialised, so of racing takes exactly one finds it.
// Returns an error wrapping loupe.ErrNotFound, or the storage error.
func (db *DB) TakeSignInCode(ctx context.Context, hash string, now time.Time) (string, error) {
	var email string
	found := false
	err := db.update(func(tx *bolt.Tx) error {
		codes, expiry := tx.Bucket(bucketSignInCodes), tx.Bucket(bucketSignInExpiry)
		// A code is usable while now is before its expiry: every key whose
		// time is not after now has expired.
		bound := []byte(sortKeyTime(now))
		err := sweep(expiry, func(first []byte) bool { return bytes.Compare(first, bound) <= 0 }, func(v []byte) error {
			return codes.Delete(v)
		})
		if err != nil {
			return err
		}
		var code signInCode
		if found, err = getJSON(codes, hash, &code); err != nil || !found {
			return err // not found: the sweep is committed all the same
		}
		if err := codes.Delete([]byte(hash)); err != nil {
			return err
		}
		email = code.Email
		return expiry.Delete(key(sortKeyTime(code.Expires), hash))
	})
	if err == nil && !found {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("take sign-in code: %w", err)
	}
	return email, nil
}

// CountSignInMail implements loupe.SignInStore in one transaction (writers
// are serialised, so racing calls get different counts), sweeping the
// counters of hours that began more than two hours before at. Returns the
// storage error.
func (db *DB) CountSignInMail(ctx context.Context, email string, at time.Time) (int, error) {
	var n int
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSignInMailCount)
		bound := []byte(loupe.SignInHour(at.Add(-signInKeepHours)))
		err := sweep(b, func(first []byte) bool { return bytes.Compare(first, bound) < 0 }, nil)
		if err != nil {
			return err
		}
		k := key(loupe.SignInHour(at), loupe.SignInRateKey(email))
		if v := b.Get(k); v != nil {
			var err error
			if n, err = strconv.Atoi(string(v)); err != nil {
				return fmt.Errorf("decode count: %w", err)
			}
		}
		n++
		return b.Put(k, []byte(strconv.Itoa(n)))
	})
	if err != nil {
		return 0, fmt.Errorf("count sign-in mail: %w", err)
	}
	return n, nil
}

// sweep deletes the keys of b from the first on while old holds for their
// first part (up to the first NUL), calling gone (when not nil) with each
// deleted value. Returns the first error.
func sweep(b *bolt.Bucket, old func(first []byte) bool, gone func(v []byte) error) error {
	var keys, values [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		first, _, _ := bytes.Cut(k, []byte{0})
		if !old(first) {
			break
		}
		keys, values = append(keys, bytes.Clone(k)), append(values, bytes.Clone(v))
	}
	for i, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
		if gone != nil {
			if err := gone(values[i]); err != nil {
				return err
			}
		}
	}
	return nil
}
