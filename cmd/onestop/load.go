package main

import (
	"context"
	"errors"
	"io"
)

// The load command.

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("load: not available in this build")
}
