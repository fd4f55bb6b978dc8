package textin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// plainID and plainHash are the derivations Loupe used before IDKey: plain
// SHA-256 over the client's number and the text, which anyone knowing the
// store's number and guessing the words ("STOP") could test every phone
// number against in seconds.
func plainID(m Message) string {
	parts := []string{m.From, m.To, m.Body}
	if !m.At.IsZero() {
		parts = append(parts, m.At.UTC().Format(time.RFC3339Nano))
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "h" + hex.EncodeToString(sum[:16])
}

func plainHash(m Message) string {
	sum := sha256.Sum256([]byte(m.From + "\x00" + m.To + "\x00" + m.Body))
	return hex.EncodeToString(sum[:])
}

// claims is a Store that records the reply claims Inbound makes; the
// texting number has no clients and the chain one store.
type claims struct {
	Store
	keys, hashes []string
}

func (c *claims) CustomersByPhone(context.Context, string) ([]loupe.Customer, error) { return nil, nil }
func (c *claims) GetStore(context.Context, string) (loupe.Store, error) {
	return loupe.Store{}, loupe.ErrNotFound
}
func (c *claims) ListStores(context.Context) ([]loupe.Store, error) {
	return []loupe.Store{{StoreID: "s1", Name: "Éclat", Phone: "+12125550100"}}, nil
}
func (c *claims) ClaimEvent(_ context.Context, id, hash string, _ time.Time) (bool, error) {
	c.keys, c.hashes = append(c.keys, id), append(c.hashes, hash)
	return true, nil
}

type replies struct{}

func (replies) Reply(context.Context, Reply) (string, error) { return "r1", nil }

// claimOf returns the message id Inbound derived for m under key and the
// key and hash it claimed the reply with.
func claimOf(t *testing.T, key []byte, m Message) (id, claimKey, hash string) {
	t.Helper()
	st := &claims{}
	s := &Service{Store: st, Replier: replies{}, ManagedOptOuts: true, IDKey: key,
		Now: func() time.Time { return time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC) }}
	res, err := s.Inbound(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.keys) != 1 || res.Reply != KindStopConfirmation {
		t.Fatalf("Inbound = %+v, claims %v: want one stop confirmation", res, st.keys)
	}
	return res.MessageID, st.keys[0], st.hashes[0]
}

// TestDerivedIDsAreKeyed: a text without an id gets an id and a reply
// claim hash that are not the plain SHA-256 of the client's number and
// words, differ under two keys, stay the same for every delivery under
// one, and, without a key, do not depend on the client's number at all.
func TestDerivedIDsAreKeyed(t *testing.T) {
	at := time.Date(2026, 12, 7, 14, 59, 30, 0, time.UTC)
	k1, k2 := []byte("sign-in key of the chain, 32 bytes"), []byte("another key of the chain, 32 byte")
	tests := []struct {
		name string
		m    Message
	}{
		{"without a time", Message{From: "+12125550147", To: "+12125550100", Body: "STOP"}},
		{"with a time", Message{From: "+12125550147", To: "+12125550100", Body: "STOP", At: at}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id1, key1, hash1 := claimOf(t, k1, tc.m)
			again, _, hashAgain := claimOf(t, k1, tc.m)
			id2, _, hash2 := claimOf(t, k2, tc.m)
			idNone, _, hashNone := claimOf(t, nil, tc.m)
			if id1 != again || hash1 != hashAgain {
				t.Errorf("two deliveries under one key: ids %q, %q, hashes %q, %q; want the same", id1, again, hash1, hashAgain)
			}
			if len(id1) != 33 || id1[0] != 'h' {
				t.Errorf("id %q, want h and 32 hex digits", id1)
			}
			if got, want := key1, "sms-reply/"+id1+"/"+KindStopConfirmation; got != want {
				t.Errorf("claim key %q, want %q", got, want)
			}
			for name, got := range map[string]string{"keyed": id1, "other key": id2, "no key": idNone} {
				if got == plainID(tc.m) {
					t.Errorf("%s id %q is the plain SHA-256 of the number and the text", name, got)
				}
			}
			for name, got := range map[string]string{"keyed": hash1, "other key": hash2, "no key": hashNone} {
				if got == plainHash(tc.m) {
					t.Errorf("%s claim hash is the plain SHA-256 of the number and the text", name)
				}
			}
			if id1 == id2 || hash1 == hash2 {
				t.Errorf("two keys gave the same id (%q) or claim hash", id1)
			}
			if id1 == idNone || hash1 == hashNone {
				t.Errorf("a key gave the keyless id (%q) or claim hash", id1)
			}
			// Without a key the number is left out: another client's same
			// words to the same number give the same id and hash.
			other := tc.m
			other.From = "+12125550199"
			if id, _, hash := claimOf(t, nil, other); id != idNone || hash != hashNone {
				t.Errorf("without a key the client's number changed the id %q to %q (or the hash)", idNone, id)
			}
			if id, _, hash := claimOf(t, k1, other); id == id1 || hash == hash1 {
				t.Errorf("under a key another client's text has the same id %q (or hash)", id)
			}
		})
	}
}

func TestServiceMessageIDKeepsAGivenID(t *testing.T) {
	m := Message{ID: "in-1", From: "+12125550147", To: "+12125550100", Body: "STOP"}
	for _, key := range [][]byte{nil, []byte("k")} {
		s := &Service{IDKey: key}
		if got := s.MessageID(m); got != "in-1" {
			t.Errorf("key %q: MessageID = %q, want the given in-1", key, got)
		}
	}
}
