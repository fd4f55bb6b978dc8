package postest

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// signInCode is a stored sign-in code.
type signInCode struct {
	email   string
	expires time.Time
}

// SignInRecords implements loupe.DB by reading every associate and store.
func (m *MemDB) SignInRecords(_ context.Context, email string) ([]loupe.Associate, []loupe.Store, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return nil, nil, m.Fail
	}
	k := loupe.SignInKey(email)
	if k == "" {
		return nil, nil, nil
	}
	var as []loupe.Associate
	for _, a := range m.associates {
		if loupe.SignInKey(a.Email) == k {
			as = append(as, a)
		}
	}
	sort.Slice(as, func(i, j int) bool { return as[i].AssociateID < as[j].AssociateID })
	var ss []loupe.Store
	for _, s := range m.stores {
		if loupe.SignInKey(s.ManagerEmail) == k {
			ss = append(ss, s)
		}
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].StoreID < ss[j].StoreID })
	return as, ss, nil
}

// PutSignInCode implements loupe.SignInStore.
func (m *MemDB) PutSignInCode(_ context.Context, hash, email string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return m.Fail
	}
	if _, ok := m.codes[hash]; ok {
		return fmt.Errorf("put sign-in code: %w", loupe.ErrExists)
	}
	m.codes[hash] = signInCode{email: email, expires: expires}
	m.writes++
	return nil
}

// TakeSignInCode implements loupe.SignInStore; an expired code is deleted
// when taken.
func (m *MemDB) TakeSignInCode(_ context.Context, hash string, now time.Time) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return "", m.Fail
	}
	c, ok := m.codes[hash]
	if ok {
		delete(m.codes, hash)
		m.writes++
	}
	if !ok || !now.Before(c.expires) {
		return "", fmt.Errorf("take sign-in code: %w", loupe.ErrNotFound)
	}
	return c.email, nil
}

// CountSignInMail implements loupe.SignInStore.
func (m *MemDB) CountSignInMail(_ context.Context, email string, at time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Fail != nil {
		return 0, m.Fail
	}
	k := loupe.SignInHour(at) + "\x00" + loupe.SignInRateKey(email)
	m.mails[k]++
	m.writes++
	return m.mails[k], nil
}
