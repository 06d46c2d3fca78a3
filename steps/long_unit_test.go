package steps

import (
	"reflect"
	"testing"
)

func TestSpreadKeepsFirstLastAndEvenPoints(t *testing.T) {
	s := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got, want := spread(s, 3), []int{0, 5, 10}; !reflect.DeepEqual(got, want) {
		t.Errorf("spread(0..10, 3) = %v, want %v", got, want)
	}
	if got := spread(s, 20); len(got) != len(s) {
		t.Errorf("spread with n > len kept %d of %d", len(got), len(s))
	}
	if got, want := spread(s, 4), []int{0, 3, 6, 10}; !reflect.DeepEqual(got, want) {
		t.Errorf("spread(0..10, 4) = %v, want %v", got, want)
	}
}
