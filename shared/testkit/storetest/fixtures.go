package storetest

import (
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// T0 is the base instant of every sample entity: 2026-11-20 15:04:05.123456789 UTC
// (sub-second on purpose, so adapters must keep nanoseconds).
var T0 = time.Date(2026, time.November, 20, 15, 4, 5, 123456789, time.UTC)

// At returns T0 plus d; a short way to build ordered UpdatedAt values.
func At(d time.Duration) time.Time { return T0.Add(d) }

// Store returns a valid sample store with every field set and UpdatedAt T0.
func Store(id string) loupe.Store {
	return loupe.Store{
		StoreID:       id,
		Name:          "Store " + id,
		Timezone:      "America/New_York",
		Country:       "US",
		PostalAddress: "1 Main St, Springfield",
		FromEmail:     "store-" + id + "@example.com",
		ManagerEmail:  "manager-" + id + "@example.com",
		Locale:        "en-US",
		Phone:         "+12125550100",
		LogoURL:       "https://cdn.example.com/" + id + "/logo.png",
		AccentColor:   "#8a6d3b",
		UpdatedAt:     T0,
	}
}

// Associate returns a valid, active sample associate of storeID with every
// field set (capacity 25, two strengths) and UpdatedAt T0.
func Associate(id, storeID string) loupe.Associate {
	return loupe.Associate{
		AssociateID: id,
		StoreID:     storeID,
		Name:        "Associate " + id,
		Email:       id + "@staff.example.com",
		Strengths:   []string{"bridal", "watches"},
		Capacity:    25,
		Status:      loupe.StatusActive,
		UpdatedAt:   T0,
	}
}

// Customer returns a valid sample customer of homeStoreID owned by associateID,
// with every POS field set (email, birthday 1980-05-17, anniversary --06-21 with
// no year, two preferences) and UpdatedAt T0. EmailSource, EmailCapturedAt and
// EmailStatus are what PutCustomer would store for a new customer.
func Customer(id, homeStoreID, associateID string) loupe.Customer {
	return loupe.Customer{
		CustomerID:  id,
		HomeStoreID: homeStoreID,
		FirstName:   "First" + id,
		LastName:    "Last" + id,
		Email:       id + "@client.example.com",
		Phone:       "+12125550147",
		Birthday:    loupe.Date{Year: 1980, Month: time.May, Day: 17},
		Anniversary: loupe.Date{Month: time.June, Day: 21},
		Preferences: []string{"diamonds", "pearls"},
		AssociateID: associateID,
		PostalAddress: loupe.PostalAddress{
			Line1: "12 Elm St", Line2: "Apt 3", City: "Springfield", Region: "NY", PostalCode: "10001", Country: "US",
		},
		Locale:           "en-US",
		PreferredChannel: "email",
		EmailSource:      loupe.EmailSourcePOS,
		EmailCapturedAt:  T0,
		EmailStatus:      loupe.EmailOK,
		UpdatedAt:        T0,
	}
}

// Repair returns a valid sample repair take-in with a customer email, taken in
// at takenInAt, with LocalDay the UTC day of takenInAt.
func Repair(id, storeID, customerID string, takenInAt time.Time) loupe.Repair {
	return loupe.Repair{
		RepairID:      id,
		StoreID:       storeID,
		AssociateID:   "a1",
		CustomerID:    customerID,
		CustomerEmail: customerID + "@client.example.com",
		Item:          "ring resize",
		TakenInAt:     takenInAt,
		LocalDay:      loupe.LocalDayIn(takenInAt, nil),
	}
}

// Purchase returns a valid sample purchase by customerID at purchasedAt.
func Purchase(id, customerID string, purchasedAt time.Time) loupe.Purchase {
	return loupe.Purchase{
		PurchaseID:  id,
		StoreID:     "s1",
		AssociateID: "a1",
		CustomerID:  customerID,
		TotalCents:  129900,
		Categories:  []string{"bridal", "diamonds"},
		PurchasedAt: purchasedAt,
	}
}
