package lang

import "github.com/nnclang/nnc/ops"

// The abstract syntax tree. Every node has the position of its first token
// (binary expressions: of their operator), in the file it came from.

// sourceFile is one parsed .nn source file.
type sourceFile struct {
	Name    string
	Imports []*importDecl
	Consts  []*constDecl
	Fns     []*fnDecl
	Models  []*modelDecl
	Trains  []*trainDecl
}

// importDecl is `import "std/nn"` or `import "path.nn" as name`.
type importDecl struct {
	Pos  ops.Pos
	Path string
	As   string
}

// constDecl is `const NAME = expr`.
type constDecl struct {
	Pos   ops.Pos
	Name  string
	Value expr
}

// fnDecl is a function or a model's method.
type fnDecl struct {
	Pos    ops.Pos
	Name   string
	Params []*paramDecl
	Result *typeExpr // nil when the function declares no result
	Body   []stmt
	Grad   *gradDecl // nil when the function has no gradient of its own
	// Short is set for the short form `fn name(args) -> type = expr`, whose
	// Body is the one statement `return expr`.
	Short bool
}

// gradDecl is a function's own gradient, written after its body:
// `fn f(x: T, ...) -> R { ... } grad(x, ..., y, g) { ... }`. Names are one
// per parameter of the function, then the primal output, then the output's
// cotangent; the body returns one cotangent per float tensor parameter (a
// tuple when there are several).
type gradDecl struct {
	Pos   ops.Pos
	Names []string
	Body  []stmt
}

// paramDecl is a function parameter or a model argument: `name: type = default`.
type paramDecl struct {
	Pos     ops.Pos
	Name    string
	Type    *typeExpr
	Default expr // nil when absent
}

// modelDecl is `model Name(args) { members }`.
type modelDecl struct {
	Pos     ops.Pos
	Name    string
	Args    []*paramDecl
	Members []member
}

// member is a model member: *LeafDecl, *SubDecl or *Fn.
type member interface{ memberNode() }

// leafDecl is `param name: type = init` or `state name: type = init`.
type leafDecl struct {
	Pos   ops.Pos
	State bool
	Name  string
	Type  *typeExpr
	Init  expr // nil when absent
}

// subDecl is `name = Model(args)` (or a list of sub-models).
type subDecl struct {
	Pos   ops.Pos
	Name  string
	Value expr
}

func (*leafDecl) memberNode() {}
func (*subDecl) memberNode()  {}
func (*fnDecl) memberNode()   {}

// trainDecl is `train Model { key = value ... }`.
type trainDecl struct {
	Pos    ops.Pos
	Model  string
	Fields []*trainField
}

// trainField is one `key = value` of a train block.
type trainField struct {
	Pos   ops.Pos
	Name  string
	Value expr
}

// typeExpr is a written type: `f32`, `f32[B, 64]`, `(f32[B], f32)`, `int`.
type typeExpr struct {
	Pos     ops.Pos
	Tuple   []*typeExpr // non-nil for a tuple type
	Name    string      // element type or kind
	Dims    []*dimExpr
	HasDims bool // written with brackets
	Sparse  bool // `sparse f32[N, M]`: a sparse matrix in CSR form (sparse.go)
}

// dimExpr is one dimension of a written shape: `...` or an expression.
type dimExpr struct {
	Pos      ops.Pos
	Ellipsis bool
	Expr     expr
}

// stmt is a statement.
type stmt interface{ stmtNode() }

// returnStmt is `return e1, e2`.
type returnStmt struct {
	Pos    ops.Pos
	Values []expr
}

// ifStmt is `if cond { } else { }`; Else is nil when absent.
type ifStmt struct {
	Pos  ops.Pos
	Cond expr
	Then []stmt
	Else []stmt
}

// forStmt is `for v in from..to { }`.
type forStmt struct {
	Pos      ops.Pos
	Var      string
	From, To expr
	Body     []stmt
}

// assignStmt is `a = e` or `a, b = e`.
type assignStmt struct {
	Pos   ops.Pos
	Names []string
	Value expr
}

// updateStmt is `state <- e`.
type updateStmt struct {
	Pos   ops.Pos
	Name  string
	Value expr
}

func (*returnStmt) stmtNode() {}
func (*ifStmt) stmtNode()     {}
func (*forStmt) stmtNode()    {}
func (*assignStmt) stmtNode() {}
func (*updateStmt) stmtNode() {}

// expr is an expression.
type expr interface {
	exprNode()
	// Position is where the expression starts (for a binary expression:
	// its operator).
	Position() ops.Pos
}

// ident is a name.
type ident struct {
	Pos  ops.Pos
	Name string
}

// intLit is an integer literal.
type intLit struct {
	Pos   ops.Pos
	Value int64
}

// floatLit is a floating-point literal.
type floatLit struct {
	Pos   ops.Pos
	Value float64
	Text  string
}

// stringLit is a string literal (unquoted).
type stringLit struct {
	Pos   ops.Pos
	Value string
}

// boolLit is true or false.
type boolLit struct {
	Pos   ops.Pos
	Value bool
}

// binaryExpr is `x op y`; Pos is the operator's.
type binaryExpr struct {
	Pos  ops.Pos
	Op   string
	X, Y expr
	// Start is the position of the expression's first token, set by the
	// parser so that startPos is O(1) on long chains; zero: walk X.
	Start ops.Pos
}

// unaryExpr is `-x` or `!x`.
type unaryExpr struct {
	Pos ops.Pos
	Op  string
	X   expr
}

// callExpr is `f(args, key = value)`; Pos is where the callee starts.
type callExpr struct {
	Pos    ops.Pos
	Fn     expr
	Args   []expr
	Kwargs []*kwarg
}

// kwarg is one keyword argument.
type kwarg struct {
	Pos   ops.Pos
	Name  string
	Value expr
}

// attrExpr is `x.name`; Pos is the name's.
type attrExpr struct {
	Pos  ops.Pos
	X    expr
	Name string
	// Start is as in Binary.
	Start ops.Pos
}

// indexExpr is `x[i, lo:hi, ...]`.
type indexExpr struct {
	Pos     ops.Pos
	X       expr
	Indices []*indexItem
	// Start is as in Binary.
	Start ops.Pos
}

// indexItem is one index: an expression, a slice lo:hi:step, or `...`.
type indexItem struct {
	Pos          ops.Pos
	Ellipsis     bool
	Slice        bool
	Lo, Hi, Step expr // nil when omitted
}

// tupleLit is `(a, b)`.
type tupleLit struct {
	Pos   ops.Pos
	Elems []expr
}

// listLit is `[a, b]`.
type listLit struct {
	Pos   ops.Pos
	Elems []expr
}

// listComp is `[elem for v in from..to]`.
type listComp struct {
	Pos      ops.Pos
	Elem     expr
	Var      string
	From, To expr
}

func (*ident) exprNode()      {}
func (*intLit) exprNode()     {}
func (*floatLit) exprNode()   {}
func (*stringLit) exprNode()  {}
func (*boolLit) exprNode()    {}
func (*binaryExpr) exprNode() {}
func (*unaryExpr) exprNode()  {}
func (*callExpr) exprNode()   {}
func (*attrExpr) exprNode()   {}
func (*indexExpr) exprNode()  {}
func (*tupleLit) exprNode()   {}
func (*listLit) exprNode()    {}
func (*listComp) exprNode()   {}

// Position implements Expr.
func (e *ident) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *intLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *floatLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *stringLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *boolLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *binaryExpr) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *unaryExpr) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *callExpr) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *attrExpr) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *indexExpr) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *tupleLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *listLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *listComp) Position() ops.Pos { return e.Pos }

// startPos is where an expression's text begins (Position gives a binary
// expression's operator).
func startPos(e expr) ops.Pos {
	switch x := e.(type) {
	case *binaryExpr:
		if x.Start.Line != 0 {
			return x.Start
		}
		return startPos(x.X)
	case *attrExpr:
		if x.Start.Line != 0 {
			return x.Start
		}
		return startPos(x.X)
	case *indexExpr:
		if x.Start.Line != 0 {
			return x.Start
		}
		return startPos(x.X)
	}
	return e.Position()
}
