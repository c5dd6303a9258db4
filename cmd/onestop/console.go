package main

import (
	"context"
	"errors"
	"io"
)

// The console and the commands around it.

func (m *Main) openConsole(ctx context.Context) error { return nil }

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("user: not available in this build")
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("audit: not available in this build")
}
