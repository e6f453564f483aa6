package nnc

import (
	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/lang"
)

// jsonlOptions are the reader options of a jsonl(...) call: pad = [fields]
// pads those ragged fields with pad_value (0 by default) to the longest
// record or max_len, truncate = true cutting longer records.
func (l *loader) jsonlOptions() data.JSONLOptions {
	o := data.JSONLOptions{Options: l.opts}
	fields := l.strs("pad")
	if len(fields) == 0 {
		return o
	}
	value := 0.0
	if v, _ := l.arg("pad_value"); v != nil {
		value, _ = number(v)
	}
	o.Pad = map[string]float64{}
	for _, f := range fields {
		o.Pad[f] = value
	}
	if v, _ := l.arg("max_len"); v != nil {
		o.MaxLen = int(v.(int64))
	}
	if v, _ := l.arg("truncate"); v != nil {
		o.Truncate = v.(bool)
	}
	return o
}

// checkJSONLArgs checks the padding arguments of a jsonl(...) call that
// need another: pad_value, max_len and truncate need pad, truncate needs
// max_len. Each error is at the argument at fault.
func checkJSONLArgs(call lang.Call, at func(code string, path []string, format string, args ...any)) {
	_, pad := call.Kwargs["pad"]
	for _, k := range []string{"pad_value", "max_len", "truncate"} {
		if _, ok := call.Kwargs[k]; ok && !pad {
			at(lang.CodeArgs, []string{k}, "%s needs pad = [fields] (%s)", k, dataCtors["jsonl"].example)
		}
	}
	if _, ok := call.Kwargs["max_len"]; pad && !ok && call.Kwargs["truncate"] == true {
		at(lang.CodeArgs, []string{"truncate"}, "truncate = true needs max_len (jsonl(\"data.jsonl\", pad = [\"ids\"], max_len = 64, truncate = true))")
	}
}
