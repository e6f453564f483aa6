package lang

import (
	"fmt"
	"strings"

	"github.com/nnclang/nnc/ops"
)

type interp struct {
	b        *ops.Builder
	training bool
	checking bool // checking declared signatures at Load: free model args are symbolic
	errs     ErrorList
	depth    int
	pos      ops.Pos // what is being interpreted (the place of a result)
	instPath string  // path of the next model instantiated (set by member declarations)
	instOK   bool
	steps    int  // expressions evaluated, against the budget
	budget   int  // the step budget (stepBudget); 0: maxSteps
	aborted  bool // maxSteps was exceeded and reported
	// types is set for lowering that only needs types (Signature): loops
	// and scans of symbolic length run once, as when checking.
	types  bool
	shapes map[string]int64 // LowerOptions.Shapes
	// scanUnroll is LowerOptions.ScanUnroll.
	scanUnroll int
	calls      []ops.Pos // the positions of the calls being inlined
	// activeCustom are the functions whose gradient blocks are being
	// checked (customgrad.go).
	activeCustom map[*fnDecl]bool
	// anyFloat makes declared float element types match any float type
	// (a custom gradient differentiated in f64, see customgrad.go).
	anyFloat bool
	// valueDims are the names of the symbolic dimensions that stand for int
	// values not known yet: model arguments without a default and, while
	// checking, int parameters of an entry. Used as numbers in tensor
	// arithmetic while checking, they become placeholder scalars
	// (weakScalar); when lowering, they are errors that ask for the value.
	valueDims map[string]bool
	// undefined holds the message of an undefined name by position.
	undefined map[ops.Pos]string
	// obs, when set, records each expression's value for the query API
	// (query.go: hover, definitions).
	obs *observer
}

// valueDim makes a symbolic dimension for the int value name, a model
// argument without a default or, while checking, an entry's int parameter
// (see valueDims).
func (i *interp) valueDim(name string) intV {
	if i.valueDims == nil {
		i.valueDims = map[string]bool{}
	}
	i.valueDims[name] = true
	return intV{ops.DimVar(name)}
}

// placeholderScalar stands for an int value d not known while checking
// (a model argument without a default): a scalar input of element type dt,
// so that the expression using it is checked for its types.
func (i *interp) placeholderScalar(d ops.Dim, dt ops.DType) (*ops.Node, bool) {
	if !i.checking {
		return nil, false
	}
	vars := d.Vars()
	for _, v := range vars {
		if !i.valueDims[v] {
			return nil, false
		}
	}
	if len(vars) == 0 {
		return nil, false
	}
	name := fmt.Sprintf("%%value/%v/%v", d, dt)
	if n, exists := i.b.Leaf(ops.Input, name); exists {
		return n, true
	}
	return i.b.Input(name, ops.Type{DType: dt}), true
}

// typesOnly reports whether the graph being built is only for its types
// (checking, Signature): then a loop or scan whose length is a shape
// variable runs its body once instead of being unrolled.
func (i *interp) typesOnly() bool { return i.checking || i.types }

// maxSteps bounds the work of checking a program (Load: one budget for all
// of it in each mode) and of lowering one entry (unrolled loops and
// inlined calls), so that no program can make the checker run for ever:
// every expression evaluated is one step, and the built-ins whose work
// grows with the graph (grad, jvp, vjp, hvp: the graph's nodes; params:
// the parameters) spend that many. The examples and conformance cases need
// under 3,000 at sequence lengths of 64; an unrolled scan over 1,000 steps
// of an LSTM about 40,000.
const maxSteps = 100_000

// stepsPerByte scales the step budget with the size of the source, so that
// checking is linear in it: a program of n bytes may spend
// max(maxSteps, stepsPerByte·n) steps (one expression is at least two
// bytes, "x+"; the rest of the budget is for loops and inlined calls).
const stepsPerByte = 4

// stepBudget is the step budget of a program whose sources are n bytes.
func stepBudget(n int) int { return max(maxSteps, stepsPerByte*n) }

// maxRank bounds the rank of a tensor (NumPy's is 64).
const maxRank = 64

// spend counts n steps of work at p against maxSteps; it reports false,
// with one E308 error per entry, once the budget is spent.
func (i *interp) spend(p ops.Pos, n int) bool {
	limit := i.budget
	if limit == 0 {
		limit = maxSteps
	}
	i.steps += n
	if i.steps <= limit {
		return true
	}
	if !i.aborted {
		i.aborted = true
		i.errorf(p, CodeValue, "the program is too large to unroll (more than %d steps of loops, inlined calls and differentiation)", limit)
	}
	return false
}

// frame is the scope of one function invocation.
type frame struct {
	vars    map[string]value
	inst    *instance // the model whose method runs; nil in a top-level fn
	file    *fileScope
	retPos  ops.Pos
	fnName  string
	inModel bool
}

func (i *interp) errorf(p ops.Pos, code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.HasPrefix(p.File, "std/") {
		// An error inside the standard library: say which call of the
		// user's code led there.
		for k := len(i.calls) - 1; k >= 0; k-- {
			if c := i.calls[k]; c.File != "" && !strings.HasPrefix(c.File, "std/") {
				msg += fmt.Sprintf(" (in the call at %v)", c)
				break
			}
		}
	}
	i.errs = append(i.errs, &Error{Pos: p, Code: code, Msg: msg})
}
