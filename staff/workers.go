package staff

import (
	"context"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// The community workers' records are the casebook's, beside the referrals they send; staff
// checks them before they are written and lists them.

// AddWorker registers w, replacing any worker with the same number. Returns EINVALID without a
// number, a name or a helpline language, or for an area that is not one of the directory in
// force.
func (s *Service) AddWorker(ctx context.Context, w *casebook.Worker) error {
	if err := s.knownAreas(ctx, w.Area); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx onestop.Tx) error { return s.cases.PutWorker(tx, w) })
}

// RemoveWorker takes the worker with number off the register. Returns ENOTFOUND if there is
// none.
func (s *Service) RemoveWorker(ctx context.Context, number string) error {
	return s.db.Update(ctx, func(tx onestop.Tx) error { return s.cases.RemoveWorker(tx, number) })
}

// Workers returns every registered worker.
func (s *Service) Workers(ctx context.Context) ([]*casebook.Worker, error) {
	return s.cases.Workers(ctx)
}
