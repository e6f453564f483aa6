package spectests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/txtar"
)

// specCase is one parsed case file.
type specCase struct {
	header  string
	program []byte
	entry   string
	inputs  []namedJSON // in/NAME.json, in file order
	params  []namedJSON // params/PATH.json
	outs    []*expected // out.json, or out0.json, out1.json, ...
	grads   []namedGrad // grad/NAME.json, in file order (the wrt list)
	tol     *tolerance  // nil: the dtype's default
	errors  []wantError // the error file, one per line
	codes   []string    // the code file: the stable codes of the errors, in order
	files   []namedJSON // other .nn files, imported by main.nn (name, source)
}

// namedJSON is an inline JSON value (a number or nested arrays) with a name.
type namedJSON struct {
	name string
	text string
}

// namedGrad is an expected gradient.
type namedGrad struct {
	name string
	want *expected
}

// expected is an expectation file: {"dtype": ..., "shape": ..., "data": ...}.
type expected struct {
	file  string
	dtype string
	shape []int
	data  []float64
}

// tolerance bounds |got - want| by abs + rel*|want|.
type tolerance struct{ rel, abs float64 }

// defaultTol is the tolerance of a dtype when a case has no tol file.
func defaultTol(dtype string) tolerance {
	if dtype == "f64" {
		return tolerance{1e-10, 1e-12}
	}
	return tolerance{1e-5, 1e-6}
}

// wantError is one expected error line: "main.nn:L:C: fragments" (or
// "main.nn:L: fragments", or plain fragments for errors without positions).
type wantError struct {
	line, col int // 0 when not checked
	hasPos    bool
	fragments []string
	text      string
}

// parseCase reads a txtar case. Errors name the file and what is wrong.
func parseCase(name string, data []byte) (*specCase, error) {
	fail := func(format string, args ...any) (*specCase, error) {
		return nil, fmt.Errorf("%s: malformed case: %s", name, fmt.Sprintf(format, args...))
	}
	ar := txtar.Parse(data)
	c := &specCase{header: strings.TrimSpace(string(ar.Comment))}
	if c.header == "" {
		return fail("no comment header saying what the case checks")
	}
	seen := map[string]bool{}
	outIdx := map[int]*expected{}
	single := false
	haveEntry := false
	for _, f := range ar.Files {
		if seen[f.Name] {
			return fail("file %q appears twice", f.Name)
		}
		seen[f.Name] = true
		body := string(f.Data)
		switch {
		case f.Name == "main.nn":
			c.program = f.Data
		case strings.HasSuffix(f.Name, ".nn"):
			if strings.ContainsAny(f.Name, "/\\") || strings.HasPrefix(f.Name, ".") {
				return fail("file %q: imported files sit beside main.nn (a plain name)", f.Name)
			}
			c.files = append(c.files, namedJSON{f.Name, string(f.Data)})
		case f.Name == "entry":
			c.entry = strings.TrimSpace(body)
			haveEntry = true
		case f.Name == "tol":
			tol, err := parseTol(body)
			if err != nil {
				return fail("tol: %v", err)
			}
			c.tol = &tol
		case f.Name == "error":
			for _, l := range strings.Split(body, "\n") {
				if strings.TrimSpace(l) == "" {
					continue
				}
				w, err := parseWantError(strings.TrimSpace(l))
				if err != nil {
					return fail("error: %v", err)
				}
				c.errors = append(c.errors, w)
			}
			if len(c.errors) == 0 {
				return fail("error file is empty")
			}
		case f.Name == "code":
			c.codes = strings.Fields(body)
			if len(c.codes) == 0 {
				return fail("code file is empty")
			}
			for _, k := range c.codes {
				if !codeRE.MatchString(k) {
					return fail("code %q: want E and three digits", k)
				}
			}
		case f.Name == "out.json":
			e, err := parseExpected(f.Name, f.Data)
			if err != nil {
				return fail("%v", err)
			}
			single = true
			outIdx[0] = e
		case strings.HasPrefix(f.Name, "out") && strings.HasSuffix(f.Name, ".json"):
			k, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(f.Name, "out"), ".json"))
			if err != nil || k < 0 {
				return fail("unknown file %q (want out.json or outN.json)", f.Name)
			}
			e, err := parseExpected(f.Name, f.Data)
			if err != nil {
				return fail("%v", err)
			}
			outIdx[k] = e
		case strings.HasPrefix(f.Name, "in/") && strings.HasSuffix(f.Name, ".json"):
			n := strings.TrimSuffix(strings.TrimPrefix(f.Name, "in/"), ".json")
			if n == "" {
				return fail("input file %q has no name", f.Name)
			}
			c.inputs = append(c.inputs, namedJSON{n, body})
		case strings.HasPrefix(f.Name, "params/") && strings.HasSuffix(f.Name, ".json"):
			n := strings.TrimSuffix(strings.TrimPrefix(f.Name, "params/"), ".json")
			if n == "" {
				return fail("param file %q has no path", f.Name)
			}
			c.params = append(c.params, namedJSON{n, body})
		case strings.HasPrefix(f.Name, "grad/") && strings.HasSuffix(f.Name, ".json"):
			n := strings.TrimSuffix(strings.TrimPrefix(f.Name, "grad/"), ".json")
			if n == "" {
				return fail("gradient file %q has no name", f.Name)
			}
			e, err := parseExpected(f.Name, f.Data)
			if err != nil {
				return fail("%v", err)
			}
			c.grads = append(c.grads, namedGrad{n, e})
		default:
			return fail("unknown file %q", f.Name)
		}
	}
	if c.program == nil {
		return fail("no main.nn")
	}
	if !haveEntry || c.entry == "" {
		return fail("no entry")
	}
	if single && len(outIdx) > 1 {
		return fail("both out.json and outN.json")
	}
	for k := 0; k < len(outIdx); k++ {
		e, ok := outIdx[k]
		if !ok {
			return fail("out%d.json is missing (results are numbered from 0 without gaps)", k)
		}
		c.outs = append(c.outs, e)
	}
	switch {
	case len(c.codes) > 0 && len(c.errors) == 0:
		return fail("a code file without an error file")
	case len(c.errors) > 0 && len(c.outs) > 0:
		return fail("an error case has out files")
	case len(c.errors) == 0 && len(c.outs) == 0:
		return fail("neither out.json nor error")
	case len(c.errors) == 0 && len(c.grads) > 0 && len(c.outs) != 1:
		return fail("a gradient case needs exactly one out.json (the value)")
	}
	return c, nil
}

// codeRE is the form of a stable error code (lang's E101 ... E901).
var codeRE = regexp.MustCompile(`^E[0-9]{3}$`)

// parseTol reads "REL ABS".
func parseTol(s string) (tolerance, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return tolerance{}, fmt.Errorf("want two numbers, relative and absolute, got %q", strings.TrimSpace(s))
	}
	rel, err1 := strconv.ParseFloat(f[0], 64)
	abs, err2 := strconv.ParseFloat(f[1], 64)
	if err1 != nil || err2 != nil || rel < 0 || abs < 0 {
		return tolerance{}, fmt.Errorf("want two non-negative numbers, got %q", strings.TrimSpace(s))
	}
	return tolerance{rel, abs}, nil
}

// parseWantError reads one line of the error file.
func parseWantError(l string) (wantError, error) {
	w := wantError{text: l}
	msg := l
	if strings.HasPrefix(l, "main.nn:") {
		rest := strings.TrimPrefix(l, "main.nn:")
		i := strings.Index(rest, ": ")
		if i < 0 {
			return w, fmt.Errorf("%q: want main.nn:LINE:COL: message", l)
		}
		parts := strings.Split(rest[:i], ":")
		if len(parts) > 2 {
			return w, fmt.Errorf("%q: bad position", l)
		}
		var err error
		if w.line, err = strconv.Atoi(parts[0]); err != nil || w.line <= 0 {
			return w, fmt.Errorf("%q: bad line", l)
		}
		if len(parts) == 2 {
			if w.col, err = strconv.Atoi(parts[1]); err != nil || w.col <= 0 {
				return w, fmt.Errorf("%q: bad column", l)
			}
		}
		w.hasPos = true
		msg = rest[i+2:]
	}
	for _, frag := range strings.Split(msg, " ... ") {
		if frag = strings.TrimSpace(frag); frag != "" {
			w.fragments = append(w.fragments, frag)
		}
	}
	if len(w.fragments) == 0 {
		return w, fmt.Errorf("%q: no message", l)
	}
	return w, nil
}

// parseExpected reads {"dtype": ..., "shape": [...], "data": [...]}; data may
// hold the strings "NaN", "Inf" and "-Inf".
func parseExpected(file string, data []byte) (*expected, error) {
	var raw struct {
		DType *string `json:"dtype"`
		Shape []int   `json:"shape"`
		Data  []any   `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if raw.DType == nil || raw.Shape == nil || raw.Data == nil {
		return nil, fmt.Errorf("%s: needs dtype, shape and data", file)
	}
	switch *raw.DType {
	case "f32", "f64", "i32", "i64", "bool":
	default:
		return nil, fmt.Errorf("%s: unknown dtype %q", file, *raw.DType)
	}
	n := 1
	for _, d := range raw.Shape {
		if d < 0 {
			return nil, fmt.Errorf("%s: negative dimension in %v", file, raw.Shape)
		}
		n *= d
	}
	if len(raw.Data) != n {
		return nil, fmt.Errorf("%s: %d values for shape %v", file, len(raw.Data), raw.Shape)
	}
	e := &expected{file: file, dtype: *raw.DType, shape: raw.Shape, data: make([]float64, n)}
	for i, v := range raw.Data {
		switch x := v.(type) {
		case float64:
			e.data[i] = x
		case bool:
			if x {
				e.data[i] = 1
			}
		case string:
			switch x {
			case "NaN":
				e.data[i] = math.NaN()
			case "Inf":
				e.data[i] = math.Inf(1)
			case "-Inf":
				e.data[i] = math.Inf(-1)
			default:
				return nil, fmt.Errorf("%s: data[%d] is %q", file, i, x)
			}
		default:
			return nil, fmt.Errorf("%s: data[%d] is %v", file, i, v)
		}
	}
	return e, nil
}
