package nnc

import "fmt"

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// OptionError is an error about one field of the options a call was given:
// the field's value is at fault (Value set, or Missing false), or the field
// was not given and would fix the error (Missing). Its message names the
// field as the API spells it ("TrainOptions.MaxMemory"); a program that
// takes options in another form (the nnc command's flags) can find it with
// errors.As and name the field its own way.
type OptionError struct {
	Where   string // what the error is about ("digits.nn", "digits.nn: train M"), or ""
	Option  string // the field: "TrainOptions.MaxMemory"
	Value   string // the field's value as the message shows it, or ""
	Missing bool   // the field was not given, and giving it would fix the error
	Msg     string // what is wrong
}

// Error reads "Where: Option is Value: Msg" for a value at fault, "Where:
// Option: Msg" for a field at fault, and "Where: Msg (set Option)" for a
// field missing.
func (e *OptionError) Error() string {
	var s string
	switch {
	case e.Missing:
		s = e.Msg + " (set " + e.Option + ")"
	case e.Value != "":
		s = e.Option + " is " + e.Value + ": " + e.Msg
	default:
		s = e.Option + ": " + e.Msg
	}
	if e.Where != "" {
		s = e.Where + ": " + s
	}
	return s
}
