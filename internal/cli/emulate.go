package cli

import (
	"context"
	"errors"
)

func (a *App) emulate(ctx context.Context, args []string) error {
	return errors.New("emulate: being built")
}
