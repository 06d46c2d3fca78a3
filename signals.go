package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Signals of a lost terminal are not reasons to stop (design.md §5):
//
//   - SIGHUP (a dropped SSH session): rdsbg goes on to the end of the run;
//     once the terminal is gone it writes only to the journal (and to
//     stderr while that still works).
//   - SIGPIPE (the reader of --output json went away): stdout is no longer
//     written (the sinks drop output after the first failed write), the
//     run goes on. Go kills a process on SIGPIPE from fd 1 or 2 only while
//     the signal is not handled, so it is handled here (Notify, not
//     Ignore: an ignored SIGPIPE would be inherited by --hook commands).
//   - SIGINT / SIGTERM: the first one interrupts the run, whose
//     compensation gives any emptied proxy its target back before the
//     process exits; a second one stops that compensation (exit 5, with
//     the proxy named EMPTY and the command that restores it).

type giveUpKey struct{}

// giveUpFrom is the channel a second SIGINT/SIGTERM closes, or nil.
func giveUpFrom(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(giveUpKey{}).(<-chan struct{})
	return ch
}

// watchSignals returns the command context (cancelled by the first
// SIGINT/SIGTERM, carrying the give-up channel) and a stop function.
func watchSignals(parent context.Context, stderr io.Writer) (context.Context, func()) {
	giveUp := make(chan struct{})
	ctx, cancel := context.WithCancel(context.WithValue(parent, giveUpKey{}, (<-chan struct{})(giveUp)))
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		stops, hups, pipes := 0, 0, 0
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				switch s {
				case syscall.SIGHUP:
					hups++
					if hups == 1 {
						fmt.Fprintln(stderr, "rdsbg: SIGHUP (terminal lost): going on; a run keeps its journal up to date")
					}
				case syscall.SIGPIPE:
					pipes++ // the writer that hit EPIPE stops writing; nothing else to do
				default:
					stops++
					switch stops {
					case 1:
						fmt.Fprintf(stderr, "rdsbg: %s: stopping; a proxy rdsbg emptied gets its target back first (a second %s stops trying and leaves it EMPTY)\n", s, s)
						cancel()
					case 2:
						fmt.Fprintf(stderr, "rdsbg: second %s: no longer restoring the proxy\n", s)
						close(giveUp)
					}
				}
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
		cancel()
	}
}
