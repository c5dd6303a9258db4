package main

import (
	"context"
	"errors"
	"io"
)

// The directory commands.

func runDirectory(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("directory: not available in this build")
}
