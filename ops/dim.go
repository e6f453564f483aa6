package ops

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Dim is one dimension of a shape: a constant or a symbolic integer
// expression over shape variables (B, T) and model arguments. Dims are kept in
// a normal form (a polynomial with integer coefficients whose atoms are
// variables or non-exact quotients), so n+1 and 1+n, or 2*d/2 and d, are
// equal as Go values and usable as map keys.
type Dim struct {
	c int64  // the value, when e == ""
	e string // canonical encoding of a non-constant polynomial
}

// term is coef * product(atoms); atoms sorted, repeated for powers.
type term struct {
	coef  int64
	atoms []string
}

// poly is a sum of terms keyed by their atom list.
type poly map[string]term

// divAtoms remembers what each quotient atom ("⌊p/k⌋") stands for.
var divAtoms sync.Map // atom name -> divDef

type divDef struct {
	num Dim
	den int64
}

// overflowEnc is the encoding of DimOverflow: an atom no variable can be
// named, so the overflowed dimension is never constant and never equal to
// another.
const overflowEnc = "1:!overflow"

// DimOverflow is the dimension that stands for an integer overflow in
// dimension arithmetic: Add, Sub, Mul and Neg return it (and propagate it)
// instead of wrapping around, Eval fails on it, and it prints as
// "<overflow>". Type rules and front ends report a shape holding it as too
// large.
var DimOverflow = Dim{e: overflowEnc}

// Overflowed reports whether d is DimOverflow.
func (d Dim) Overflowed() bool { return d.e == overflowEnc }

// DimConst returns the constant dimension n.
func DimConst(n int64) Dim { return Dim{c: n} }

// DimVar returns the symbolic dimension named name.
func DimVar(name string) Dim { return fromPoly(poly{name: {1, []string{name}}}) }

// IsConst reports whether d is a constant, and its value.
func (d Dim) IsConst() (int64, bool) { return d.c, d.e == "" }

// Vars lists the variables d depends on, sorted.
func (d Dim) Vars() []string {
	set := map[string]bool{}
	var walk func(Dim)
	walk = func(d Dim) {
		for _, t := range d.poly() {
			for _, a := range t.atoms {
				if v, ok := divAtoms.Load(a); ok {
					walk(v.(divDef).num)
				} else if a != "!overflow" {
					set[a] = true
				}
			}
		}
	}
	walk(d)
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func (d Dim) poly() poly {
	p := poly{}
	if d.e == "" {
		if d.c != 0 {
			p[""] = term{coef: d.c}
		}
		return p
	}
	for _, part := range strings.Split(d.e, ";") {
		i := strings.IndexByte(part, ':')
		coef, _ := strconv.ParseInt(part[:i], 10, 64)
		var atoms []string
		if part[i+1:] != "" {
			atoms = strings.Split(part[i+1:], "*")
		}
		p[strings.Join(atoms, "*")] = term{coef, atoms}
	}
	return p
}

func fromPoly(p poly) Dim {
	keys := make([]string, 0, len(p))
	for k, t := range p {
		if t.coef != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return Dim{}
	}
	if len(keys) == 1 && keys[0] == "" {
		return Dim{c: p[""].coef}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.FormatInt(p[k].coef, 10) + ":" + k
	}
	return Dim{e: strings.Join(parts, ";")}
}

// addInt is a + b and whether it did not overflow int64.
func addInt(a, b int64) (int64, bool) {
	s := a + b
	return s, (b >= 0) == (s >= a)
}

// mulInt is a * b and whether it did not overflow int64.
func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return p, true
}

// Add returns d + o, or DimOverflow when a coefficient overflows int64.
func (d Dim) Add(o Dim) Dim {
	if d.Overflowed() || o.Overflowed() {
		return DimOverflow
	}
	if d.e == "" && o.e == "" {
		s, ok := addInt(d.c, o.c)
		if !ok {
			return DimOverflow
		}
		return Dim{c: s}
	}
	p := d.poly()
	for k, t := range o.poly() {
		q := p[k]
		c, ok := addInt(q.coef, t.coef)
		if !ok {
			return DimOverflow
		}
		q.coef = c
		q.atoms = t.atoms
		p[k] = q
	}
	return fromPoly(p)
}

// Neg returns -d.
func (d Dim) Neg() Dim { return d.Mul(DimConst(-1)) }

// Sub returns d - o.
func (d Dim) Sub(o Dim) Dim { return d.Add(o.Neg()) }

// Mul returns d * o, or DimOverflow when a coefficient overflows int64.
func (d Dim) Mul(o Dim) Dim {
	if d.Overflowed() || o.Overflowed() {
		return DimOverflow
	}
	if d.e == "" && o.e == "" {
		m, ok := mulInt(d.c, o.c)
		if !ok {
			return DimOverflow
		}
		return Dim{c: m}
	}
	p := poly{}
	for _, a := range d.poly() {
		for _, b := range o.poly() {
			atoms := append(append([]string(nil), a.atoms...), b.atoms...)
			sort.Strings(atoms)
			k := strings.Join(atoms, "*")
			q := p[k]
			m, ok := mulInt(a.coef, b.coef)
			if ok {
				q.coef, ok = addInt(q.coef, m)
			}
			if !ok {
				return DimOverflow
			}
			q.atoms = atoms
			p[k] = q
		}
	}
	return fromPoly(p)
}

// Div returns d / k for a positive constant k, exact when every coefficient
// divides (2*d/2 == d); otherwise the floor quotient becomes an atom of its own.
func (d Dim) Div(o Dim) (Dim, error) {
	if d.Overflowed() || o.Overflowed() {
		return DimOverflow, nil
	}
	k, ok := o.IsConst()
	if !ok {
		if d == o {
			return DimConst(1), nil
		}
		return Dim{}, fmt.Errorf("cannot divide %v by the symbolic dimension %v", d, o)
	}
	if k <= 0 {
		return Dim{}, fmt.Errorf("division of a dimension by %d", k)
	}
	if d.e == "" {
		return Dim{c: d.c / k}, nil
	}
	p := d.poly()
	exact := true
	for _, t := range p {
		if t.coef%k != 0 {
			exact = false
		}
	}
	if exact {
		for key, t := range p {
			t.coef /= k
			p[key] = t
		}
		return fromPoly(p), nil
	}
	name := "⌊" + d.String() + "/" + strconv.FormatInt(k, 10) + "⌋"
	divAtoms.LoadOrStore(name, divDef{d, k})
	return DimVar(name), nil
}

// ErrDimOverflow is the error of Eval on a dimension whose value does not
// fit in int64 (or on DimOverflow).
var ErrDimOverflow = fmt.Errorf("the dimension overflows int64")

// Eval computes d's value given values for its variables. A value (or an
// intermediate product or sum) that overflows int64 is ErrDimOverflow.
func (d Dim) Eval(env map[string]int64) (int64, error) {
	if d.e == "" {
		return d.c, nil
	}
	if d.Overflowed() {
		return 0, ErrDimOverflow
	}
	var sum int64
	for _, t := range d.poly() {
		v := t.coef
		for _, a := range t.atoms {
			x, err := evalAtom(a, env)
			if err != nil {
				return 0, err
			}
			var ok bool
			if v, ok = mulInt(v, x); !ok {
				return 0, ErrDimOverflow
			}
		}
		var ok bool
		if sum, ok = addInt(sum, v); !ok {
			return 0, ErrDimOverflow
		}
	}
	return sum, nil
}

func evalAtom(a string, env map[string]int64) (int64, error) {
	if def, ok := divAtoms.Load(a); ok {
		dd := def.(divDef)
		n, err := dd.num.Eval(env)
		if err != nil {
			return 0, err
		}
		return n / dd.den, nil
	}
	v, ok := env[a]
	if !ok {
		return 0, fmt.Errorf("shape variable %s has no value", a)
	}
	return v, nil
}

// Subst replaces variables by dimensions (used when a generic signature is
// instantiated at a call).
func (d Dim) Subst(env map[string]Dim) Dim {
	if d.e == "" || d.Overflowed() {
		return d
	}
	sum := DimConst(0)
	for _, t := range d.poly() {
		v := DimConst(t.coef)
		for _, a := range t.atoms {
			var x Dim
			if def, ok := divAtoms.Load(a); ok {
				dd := def.(divDef)
				q, err := dd.num.Subst(env).Div(DimConst(dd.den))
				if err != nil {
					panic(err) // den > 0 always holds for stored atoms
				}
				x = q
			} else if s, ok := env[a]; ok {
				x = s
			} else {
				x = DimVar(a)
			}
			v = v.Mul(x)
		}
		sum = sum.Add(v)
	}
	return sum
}

// String prints d as it would be written in .nn source (2*d + 1).
func (d Dim) String() string {
	if d.e == "" {
		return strconv.FormatInt(d.c, 10)
	}
	if d.Overflowed() {
		return "<overflow>"
	}
	p := d.poly()
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	// Highest-degree terms first, constants last, as people write them.
	sort.Slice(keys, func(i, j int) bool {
		ai, aj := len(p[keys[i]].atoms), len(p[keys[j]].atoms)
		if ai != aj {
			return ai > aj
		}
		return keys[i] < keys[j]
	})
	var sb strings.Builder
	for i, k := range keys {
		t := p[k]
		c := t.coef
		if i > 0 {
			if c < 0 {
				sb.WriteString(" - ")
				c = -c
			} else {
				sb.WriteString(" + ")
			}
		} else if c < 0 {
			sb.WriteString("-")
			c = -c
		}
		switch {
		case len(t.atoms) == 0:
			sb.WriteString(strconv.FormatInt(c, 10))
		case c == 1:
			sb.WriteString(strings.Join(t.atoms, "*"))
		default:
			sb.WriteString(strconv.FormatInt(c, 10) + "*" + strings.Join(t.atoms, "*"))
		}
	}
	return sb.String()
}
