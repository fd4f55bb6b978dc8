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

// ReviewMail returns the reassignment_review mail of r for store st (to its
// manager_email, from its from_email or from). Returns an EINVALID
// *loupe.Error naming manager_email or from_email when the store lacks the
// address.
func ReviewMail(r Review, st loupe.Store, from, baseURL string, sendDate string) (mail.Message, error) {
	if st.ManagerEmail == "" {
		return mail.Message{}, loupe.Invalidf("manager_email", "store %s has no manager_email", st.StoreID)
	}
	if st.FromEmail != "" {
		from = st.FromEmail
	}
	if from == "" {
		return mail.Message{}, loupe.Invalidf("from_email", "store %s has no from_email", st.StoreID)
	}
	pageURL := ""
	if baseURL != "" {
		pageURL = strings.TrimRight(baseURL, "/") + "/reassignments/" + url.PathEscape(r.ID) + "/print"
	}
	html, err := mailHTML(r, pageURL)
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
		Subject:     fmt.Sprintf("%s: %d %s reassigned for review", name, r.Clients, r.Subject()),
		Text:        mailText(r, pageURL),
		HTML:        html,
		Headers:     mail.ClientHeaders("", mail.TouchpointReassignmentReview, sendDate, ""),
		Attachments: []mail.Attachment{{Filename: CSVFilename(r.ID), ContentType: "text/csv", Data: csvBuf.Bytes()}},
		Key:         MailKey(r.ID),
	}, nil
}

// mailOnce sends b's review mail unless it was sent, then records that it was.
// A store without a manager or sender address, or a batch without a store,
// gets none (logged), and so does a mail the Sender refuses for good. Any
// other Sender error is returned (the batch is redelivered and
// the mail retried under the same Key).
func (s *Service) mailOnce(ctx context.Context, b *Batch) error {
	if b.Mailed || s.Mail == nil || b.Status != StatusDone {
		return nil
	}
	skip := func(why string) error {
		s.Logger.WarnContext(ctx, "no review mail", "batch_id", b.ID, "store_id", b.StoreID, "why", why)
		b.Mailed = true
		if err := s.Batches.SaveReassignment(ctx, *b); err != nil {
			return fmt.Errorf("batch %s: %w", b.ID, err)
		}
		return nil
	}
	if b.StoreID == "" {
		return skip("batch has no store")
	}
	st, err := s.DB.GetStore(ctx, b.StoreID)
	if errors.Is(err, loupe.ErrNotFound) {
		return skip("store unknown")
	}
	if err != nil {
		return fmt.Errorf("batch %s: %w", b.ID, err)
	}
	as, err := s.Batches.ReassignmentAssignments(ctx, b.ID)
	if err != nil {
		return fmt.Errorf("batch %s: %w", b.ID, err)
	}
	day := s.Now().UTC()
	if loc, err := st.Location(); err == nil {
		day = day.In(loc)
	}
	m, err := ReviewMail(Review{Batch: *b, Assignments: as}, st, s.From, s.BaseURL, day.Format("2006-01-02"))
	if loupe.ErrorCode(err) == loupe.EINVALID {
		return skip(loupe.ErrorMessage(err))
	}
	if err != nil {
		return fmt.Errorf("batch %s: %w", b.ID, err)
	}
	if _, err := s.Mail.Send(ctx, m); err != nil {
		if loupe.ErrorCode(err) == loupe.EINVALID || errors.Is(err, mail.ErrRejected) {
			return skip("mail refused: " + loupe.ErrorMessage(err))
		}
		return fmt.Errorf("batch %s: review mail: %w", b.ID, err)
	}
	b.Mailed = true
	if err := s.Batches.SaveReassignment(ctx, *b); err != nil {
		return fmt.Errorf("batch %s: %w", b.ID, err)
	}
	s.Logger.InfoContext(ctx, "review mail sent", "batch_id", b.ID, "store_id", b.StoreID)
	return nil
}
