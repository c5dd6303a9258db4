package alerts

import (
	"context"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
)

// Resolve names who holds role at at, for the outbox (its Config.Resolve): the role on duty is
// the counsellors on duty then, the fallback role the fallback list. Nobody is an empty list,
// not an error: the outbox then tries the fallback, and keeps the message queued while there is
// nobody at all. Returns EINVALID for any other role.
func (s *Service) Resolve(tx onestop.Tx, role string, at time.Time) ([]outbox.Recipient, error) {
	var out []outbox.Recipient
	switch role {
	case outbox.RoleDuty:
		rota, err := s.staff.Rota(tx)
		if err != nil {
			return nil, err
		}
		for _, e := range staff.OnDuty(rota, at) {
			out = append(out, outbox.Recipient{Number: e.Number, Lang: e.Lang, Audience: outbox.Counsellor})
		}
	case outbox.RoleFallback:
		list, err := s.staff.FallbackList(tx)
		if err != nil {
			return nil, err
		}
		for _, e := range list {
			out = append(out, outbox.Recipient{Number: e.Number, Lang: e.Lang, Audience: outbox.Counsellor})
		}
	default:
		return nil, onestop.Errorf(onestop.EINVALID, "no role %q", role)
	}
	return out, nil
}

// Render gives the words of template in lang, for the outbox (its Config.Render) to send to
// each recipient in her own language. An unknown template or a missing argument gives "" rather
// than a garbled text, which the outbox refuses as empty.
func Render(template string, lang onestop.Lang, args []string) string {
	if len(args) < 2 {
		return ""
	}
	switch template {
	case TemplateAlert:
		return locales.Alert(lang, args[0], args[1])
	case TemplateCallback:
		return locales.CallbackDue(lang, args[0], args[1])
	case TemplateEscalation:
		return locales.Escalation(lang, args[0], args[1])
	}
	return ""
}

// NotifyCallbacks queues the counsellor's note for every callback task that has none yet and
// whose window has not closed: a note the outbox did not take when she confirmed her plan is
// tried again. The note is addressed to the role on duty, so it reaches whoever is on duty when
// her window opens. Returns how many notes were queued, and the store's errors.
func (s *Service) NotifyCallbacks(ctx context.Context) (int, error) {
	// Looked for in a read first, so a minute with nothing to queue costs no write and no fsync.
	pending := false
	if err := s.db.View(ctx, func(tx onestop.Tx) error {
		now := s.db.Now()
		return s.cases.ForEachCallbackTask(tx, func(t *casebook.CallbackTask) error {
			pending = pending || (t.OutboxID == 0 && now.Before(t.Closes))
			return nil
		})
	}); err != nil || !pending {
		return 0, err
	}
	n := 0
	err := s.db.Update(ctx, func(tx onestop.Tx) error {
		n = 0
		now := s.db.Now()
		var waiting []*casebook.CallbackTask
		err := s.cases.ForEachCallbackTask(tx, func(t *casebook.CallbackTask) error {
			if t.OutboxID == 0 && now.Before(t.Closes) {
				waiting = append(waiting, t)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, t := range waiting {
			ct, err := s.cases.Get(tx, t.ContactID)
			if err != nil || ct.Plan == nil || !ct.Plan.MayCall || ct.Status != onestop.Open {
				continue // reached, or no longer to be called
			}
			msg := callbackNote(t.ContactID, t.Ref, ct.Plan)
			msg.NextAttempt = t.Due
			if _, err := s.ob.Enqueue(tx, msg); err != nil {
				if code := onestop.ErrorCode(err); code == onestop.EFORBIDDEN || code == onestop.EINVALID {
					continue
				}
				return err
			}
			t.OutboxID = msg.ID
			if err := s.cases.PutCallbackTask(tx, t); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// CallbacksEvery runs NotifyCallbacks every interval until ctx ends or the store is closed.
func (s *Service) CallbacksEvery(ctx context.Context, interval time.Duration) {
	store.Every(ctx, interval, store.Once(s.db, "callback notes", interval, s.NotifyCallbacks), func(_ int, err error) {
		if err != nil {
			s.log.Error("callback notes failed", "err", err)
		}
	})
}
