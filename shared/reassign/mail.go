package reassign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// MailKey returns the idempotency key of batch id's review mail.
func MailKey(batchID string) string { return "reassign/" + batchID }

// ReviewURL returns the staff app's review screen of batch id under baseURL,
// "<base URL>/app/reassignments/<id>" (CONTRACT section 3: every link in a
// staff mail opens in the app); "" without a base URL.
func ReviewURL(baseURL, id string) string {
	if baseURL == "" {
		return ""
	}
	return strings.TrimRight(baseURL, "/") + "/app/reassignments/" + url.PathEscape(id)
}

// ReviewMail returns the reassignment_review mail of r for store st (to its
// manager_email, from its from_email or from), in the words of l (st is its
// store when l has none): the same lists in the text and the HTML part,
// each linking the staff app's review screen (ReviewURL) when baseURL is
// set, and the CSV attached. Returns an EINVALID *loupe.Error naming
// manager_email or from_email when the store lacks the address.
func ReviewMail(r Review, st loupe.Store, l Labels, from, baseURL string, sendDate string) (mail.Message, error) {
	if st.ManagerEmail == "" {
		return mail.Message{}, loupe.Invalidf("manager_email", "store %s has no manager_email", st.StoreID)
	}
	if st.FromEmail != "" {
		from = st.FromEmail
	}
	if from == "" {
		return mail.Message{}, loupe.Invalidf("from_email", "store %s has no from_email", st.StoreID)
	}
	if l.Store.StoreID == "" {
		l.Store = st
	}
	link := ReviewURL(baseURL, r.ID)
	html, err := mailHTML(r, l, link)
	if err != nil {
		return mail.Message{}, err
	}
	var csvBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, r); err != nil {
		return mail.Message{}, err
	}
	name := st.Name
	if name == "" {
		name = st.StoreID
	}
	return mail.Message{
		From:        from,
		To:          st.ManagerEmail,
		Subject:     mailSubject(name, r, l),
		Text:        mailText(r, l, link),
		HTML:        html,
		Headers:     mail.ClientHeaders("", mail.TouchpointReassignmentReview, sendDate, ""),
		Attachments: []mail.Attachment{{Filename: CSVFilename(r.ID), ContentType: "text/csv", Data: csvBuf.Bytes()}},
		Customers:   customerIDs(r.Assignments),
		Key:         MailKey(r.ID),
	}, nil
}

// mailSubject says whose clients r reassigns and how many, in words:
// "Fifth Ave: 40 clients of Ann Lee reassigned for review", or for a
// backfill batch "Fifth Ave: 3 orphaned clients reassigned for review".
func mailSubject(store string, r Review, l Labels) string {
	n := clients(r.Clients)
	if r.AssociateID == "" {
		n = strings.Replace(n, "client", "orphaned client", 1)
	} else {
		n += " of " + l.DepartedName(r.AssociateID)
	}
	return store + ": " + n + " reassigned for review"
}

// customerIDs returns the clients of as, in order.
func customerIDs(as []Assignment) []string {
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.CustomerID
	}
	return ids
}

// ReviewQueue hands a batch's review mail on by its id, to be built and sent
// later by SendReview (the AWS send queue: its bodies then hold the batch id,
// not the clients' names). *sqsqueue.Mailer implements it.
type ReviewQueue interface {
	QueueReview(ctx context.Context, batchID string) error
}

// mailOnce sends b's review mail unless it was sent, then records that it was:
// through Reviews when set (the mail is built when the sender takes it),
// else built here and given to Mail. A store without a manager or sender
// address, or a batch without a store, gets none (logged), and so does a mail
// the Sender refuses for good. Any other error is returned (the batch is
// redelivered and the mail retried under the same Key).
func (s *Service) mailOnce(ctx context.Context, b *Batch) error {
	if b.Mailed || (s.Mail == nil && s.Reviews == nil) || b.Status != StatusDone {
		return nil
	}
	mailed := func() error {
		b.Mailed = true
		if err := s.Batches.SaveReassignment(ctx, *b); err != nil {
			return fmt.Errorf("batch %s: %w", b.ID, err)
		}
		return nil
	}
	if s.Reviews != nil {
		if err := s.Reviews.QueueReview(ctx, b.ID); err != nil {
			return fmt.Errorf("batch %s: queue review mail: %w", b.ID, err)
		}
		s.Logger.InfoContext(ctx, "review mail queued", "batch_id", b.ID, "store_id", b.StoreID)
		return mailed()
	}
	m, why, err := s.reviewMessage(ctx, *b)
	if err != nil {
		return err
	}
	if why == "" {
		_, err := s.Mail.Send(ctx, m)
		if loupe.ErrorCode(err) == loupe.EINVALID || errors.Is(err, mail.ErrRejected) {
			why, err = "mail refused: "+loupe.ErrorMessage(err), nil
		}
		if err != nil {
			return fmt.Errorf("batch %s: review mail: %w", b.ID, err)
		}
	}
	if why != "" {
		s.Logger.WarnContext(ctx, "no review mail", "batch_id", b.ID, "store_id", b.StoreID, "why", why)
	} else {
		s.Logger.InfoContext(ctx, "review mail sent", "batch_id", b.ID, "store_id", b.StoreID)
	}
	return mailed()
}

// SendReview builds batch batchID's review mail from the stored batch and
// sends it through Mail: the sender's side of a review handed on by
// QueueReview. A batch that is gone, or whose store lacks an address, gets
// none (logged, nil). Returns the Sender's error (EINVALID and
// mail.ErrRejected included, for the caller to drop), or the storage error.
func (s *Service) SendReview(ctx context.Context, batchID string) error {
	s.norm()
	if s.Mail == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "review mail: no mail sender configured")
	}
	b, err := s.Batches.GetReassignment(ctx, batchID)
	if errors.Is(err, loupe.ErrNotFound) {
		s.Logger.WarnContext(ctx, "no review mail", "batch_id", batchID, "why", "batch unknown")
		return nil
	}
	if err != nil {
		return fmt.Errorf("batch %s: %w", batchID, err)
	}
	m, why, err := s.reviewMessage(ctx, b)
	if err != nil {
		return err
	}
	if why != "" {
		s.Logger.WarnContext(ctx, "no review mail", "batch_id", b.ID, "store_id", b.StoreID, "why", why)
		return nil
	}
	if _, err := s.Mail.Send(ctx, m); err != nil {
		return fmt.Errorf("batch %s: review mail: %w", b.ID, err)
	}
	s.Logger.InfoContext(ctx, "review mail sent", "batch_id", b.ID, "store_id", b.StoreID)
	return nil
}

// reviewMessage builds b's review mail from the stored assignments, or says
// why there is none (no store, unknown store, a store without the addresses).
// Returns the storage error.
func (s *Service) reviewMessage(ctx context.Context, b Batch) (mail.Message, string, error) {
	if b.StoreID == "" {
		return mail.Message{}, "batch has no store", nil
	}
	st, err := s.DB.GetStore(ctx, b.StoreID)
	if errors.Is(err, loupe.ErrNotFound) {
		return mail.Message{}, "store unknown", nil
	}
	if err != nil {
		return mail.Message{}, "", fmt.Errorf("batch %s: %w", b.ID, err)
	}
	as, err := s.Batches.ReassignmentAssignments(ctx, b.ID)
	if err != nil {
		return mail.Message{}, "", fmt.Errorf("batch %s: %w", b.ID, err)
	}
	day := s.Now().UTC()
	if loc, err := st.Location(); err == nil {
		day = day.In(loc)
	}
	r := Review{Batch: b, Assignments: as}
	l := Labels{Store: st}
	if l.Departed, err = departedNames(ctx, s.DB, r); err != nil {
		return mail.Message{}, "", err
	}
	m, err := ReviewMail(r, st, l, s.From, s.BaseURL, day.Format("2006-01-02"))
	if loupe.ErrorCode(err) == loupe.EINVALID {
		return mail.Message{}, loupe.ErrorMessage(err), nil
	}
	if err != nil {
		return mail.Message{}, "", fmt.Errorf("batch %s: %w", b.ID, err)
	}
	return m, "", nil
}
