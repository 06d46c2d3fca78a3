package steps

import "testing"

// The operator's give-up through the approver counts beside the signals'
// one: either closing stops compensation; neither closing leaves it open.
func TestGiveUpFromEitherSide(t *testing.T) {
	for _, closeSignals := range []bool{true, false} {
		signals, operator := make(chan struct{}), make(chan struct{})
		either := eitherClosed(signals, operator)
		select {
		case <-either:
			t.Fatal("closed before anyone gave up")
		default:
		}
		if closeSignals {
			close(signals)
		} else {
			close(operator)
		}
		<-either // a test that hangs here has failed
	}
	only := make(chan struct{})
	if eitherClosed(nil, only) != (<-chan struct{})(only) || eitherClosed(only, nil) != (<-chan struct{})(only) {
		t.Error("a missing side should leave the other as it is")
	}
}
