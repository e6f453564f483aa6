package spectests

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nnclang/nnc/lang"
)

// errorCodes returns the stable codes of a front-end error, in order: one
// per error of a lang.ErrorList, or the code of a single *lang.Error; nil
// for an error that carries none.
func errorCodes(err error) []string {
	var list lang.ErrorList
	if errors.As(err, &list) {
		codes := make([]string, len(list))
		for i, e := range list {
			codes[i] = e.Code
		}
		return codes
	}
	var one *lang.Error
	if errors.As(err, &one) {
		return []string{one.Code}
	}
	return nil
}

// matchCodes checks the codes of an error against a case's code file (no
// check without one): the same codes in the same order.
func matchCodes(err error, want []string) error {
	if len(want) == 0 {
		return nil
	}
	got := errorCodes(err)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		return fmt.Errorf("error codes are [%s], want [%s]", strings.Join(got, " "), strings.Join(want, " "))
	}
	return nil
}

func TestMatchCodes(t *testing.T) {
	err := lang.ErrorList{{Code: "E201", Msg: "undefined"}, {Code: "E301", Msg: "shapes"}}
	if e := matchCodes(fmt.Errorf("wrapped: %w", err), []string{"E201", "E301"}); e != nil {
		t.Errorf("matching codes: %v", e)
	}
	if e := matchCodes(err, []string{"E201"}); e == nil {
		t.Error("a missing code was not reported")
	}
	if e := matchCodes(errors.New("plain"), []string{"E201"}); e == nil {
		t.Error("an error without codes matched a code file")
	}
	if e := matchCodes(errors.New("plain"), nil); e != nil {
		t.Errorf("no code file: %v", e)
	}
}
