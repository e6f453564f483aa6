package lang

import "github.com/nnclang/nnc/ops"

// The abstract syntax tree. Every node has the position of its first token
// (binary expressions: of their operator), in the file it came from.

// File is one parsed .nn source file.
type File struct {
	Name    string
	Imports []*Import
	Consts  []*Const
	Fns     []*Fn
	Models  []*Model
	Trains  []*Train
}

// Import is `import "std/nn"` or `import "path.nn" as name`.
type Import struct {
	Pos  ops.Pos
	Path string
	As   string
}

// Const is `const NAME = expr`.
type Const struct {
	Pos   ops.Pos
	Name  string
	Value Expr
}

// Fn is a function or a model's method.
type Fn struct {
	Pos    ops.Pos
	Name   string
	Params []*Param
	Result *TypeExpr // nil when the function declares no result
	Body   []Stmt
	Grad   *GradDef // nil when the function has no gradient of its own
	// Short is set for the short form `fn name(args) -> type = expr`, whose
	// Body is the one statement `return expr`.
	Short bool
}

// GradDef is a function's own gradient, written after its body:
// `fn f(x: T, ...) -> R { ... } grad(x, ..., y, g) { ... }`. Names are one
// per parameter of the function, then the primal output, then the output's
// cotangent; the body returns one cotangent per float tensor parameter (a
// tuple when there are several).
type GradDef struct {
	Pos   ops.Pos
	Names []string
	Body  []Stmt
}

// Param is a function parameter or a model argument: `name: type = default`.
type Param struct {
	Pos     ops.Pos
	Name    string
	Type    *TypeExpr
	Default Expr // nil when absent
}

// Model is `model Name(args) { members }`.
type Model struct {
	Pos     ops.Pos
	Name    string
	Args    []*Param
	Members []Member
}

// Member is a model member: *LeafDecl, *SubDecl or *Fn.
type Member interface{ memberNode() }

// LeafDecl is `param name: type = init` or `state name: type = init`.
type LeafDecl struct {
	Pos   ops.Pos
	State bool
	Name  string
	Type  *TypeExpr
	Init  Expr // nil when absent
}

// SubDecl is `name = Model(args)` (or a list of sub-models).
type SubDecl struct {
	Pos   ops.Pos
	Name  string
	Value Expr
}

func (*LeafDecl) memberNode() {}
func (*SubDecl) memberNode()  {}
func (*Fn) memberNode()       {}

// Train is `train Model { key = value ... }`.
type Train struct {
	Pos    ops.Pos
	Model  string
	Fields []*Field
}

// Field is one `key = value` of a train block.
type Field struct {
	Pos   ops.Pos
	Name  string
	Value Expr
}

// TypeExpr is a written type: `f32`, `f32[B, 64]`, `(f32[B], f32)`, `int`.
type TypeExpr struct {
	Pos     ops.Pos
	Tuple   []*TypeExpr // non-nil for a tuple type
	Name    string      // element type or kind
	Dims    []*DimExpr
	HasDims bool // written with brackets
}

// DimExpr is one dimension of a written shape: `...` or an expression.
type DimExpr struct {
	Pos      ops.Pos
	Ellipsis bool
	Expr     Expr
}

// Stmt is a statement.
type Stmt interface{ stmtNode() }

// ReturnStmt is `return e1, e2`.
type ReturnStmt struct {
	Pos    ops.Pos
	Values []Expr
}

// IfStmt is `if cond { } else { }`; Else is nil when absent.
type IfStmt struct {
	Pos  ops.Pos
	Cond Expr
	Then []Stmt
	Else []Stmt
}

// ForStmt is `for v in from..to { }`.
type ForStmt struct {
	Pos      ops.Pos
	Var      string
	From, To Expr
	Body     []Stmt
}

// AssignStmt is `a = e` or `a, b = e`.
type AssignStmt struct {
	Pos   ops.Pos
	Names []string
	Value Expr
}

// UpdateStmt is `state <- e`.
type UpdateStmt struct {
	Pos   ops.Pos
	Name  string
	Value Expr
}

func (*ReturnStmt) stmtNode() {}
func (*IfStmt) stmtNode()     {}
func (*ForStmt) stmtNode()    {}
func (*AssignStmt) stmtNode() {}
func (*UpdateStmt) stmtNode() {}

// Expr is an expression.
type Expr interface {
	exprNode()
	// Position is where the expression starts (for a binary expression:
	// its operator).
	Position() ops.Pos
}

// Ident is a name.
type Ident struct {
	Pos  ops.Pos
	Name string
}

// IntLit is an integer literal.
type IntLit struct {
	Pos   ops.Pos
	Value int64
}

// FloatLit is a floating-point literal.
type FloatLit struct {
	Pos   ops.Pos
	Value float64
	Text  string
}

// StringLit is a string literal (unquoted).
type StringLit struct {
	Pos   ops.Pos
	Value string
}

// BoolLit is true or false.
type BoolLit struct {
	Pos   ops.Pos
	Value bool
}

// Binary is `x op y`; Pos is the operator's.
type Binary struct {
	Pos  ops.Pos
	Op   string
	X, Y Expr
	// Start is the position of the expression's first token, set by the
	// parser so that startPos is O(1) on long chains; zero: walk X.
	Start ops.Pos
}

// Unary is `-x` or `!x`.
type Unary struct {
	Pos ops.Pos
	Op  string
	X   Expr
}

// CallExpr is `f(args, key = value)`; Pos is where the callee starts.
type CallExpr struct {
	Pos    ops.Pos
	Fn     Expr
	Args   []Expr
	Kwargs []*Kwarg
}

// Kwarg is one keyword argument.
type Kwarg struct {
	Pos   ops.Pos
	Name  string
	Value Expr
}

// Attr is `x.name`; Pos is the name's.
type Attr struct {
	Pos  ops.Pos
	X    Expr
	Name string
	// Start is as in Binary.
	Start ops.Pos
}

// Index is `x[i, lo:hi, ...]`.
type Index struct {
	Pos     ops.Pos
	X       Expr
	Indices []*IndexItem
	// Start is as in Binary.
	Start ops.Pos
}

// IndexItem is one index: an expression, a slice lo:hi:step, or `...`.
type IndexItem struct {
	Pos          ops.Pos
	Ellipsis     bool
	Slice        bool
	Lo, Hi, Step Expr // nil when omitted
}

// TupleLit is `(a, b)`.
type TupleLit struct {
	Pos   ops.Pos
	Elems []Expr
}

// ListLit is `[a, b]`.
type ListLit struct {
	Pos   ops.Pos
	Elems []Expr
}

// ListComp is `[elem for v in from..to]`.
type ListComp struct {
	Pos      ops.Pos
	Elem     Expr
	Var      string
	From, To Expr
}

func (*Ident) exprNode()     {}
func (*IntLit) exprNode()    {}
func (*FloatLit) exprNode()  {}
func (*StringLit) exprNode() {}
func (*BoolLit) exprNode()   {}
func (*Binary) exprNode()    {}
func (*Unary) exprNode()     {}
func (*CallExpr) exprNode()  {}
func (*Attr) exprNode()      {}
func (*Index) exprNode()     {}
func (*TupleLit) exprNode()  {}
func (*ListLit) exprNode()   {}
func (*ListComp) exprNode()  {}

// Position implements Expr.
func (e *Ident) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *IntLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *FloatLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *StringLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *BoolLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *Binary) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *Unary) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *CallExpr) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *Attr) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *Index) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *TupleLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *ListLit) Position() ops.Pos { return e.Pos }

// Position implements Expr.
func (e *ListComp) Position() ops.Pos { return e.Pos }

// startPos is where an expression's text begins (Position gives a binary
// expression's operator).
func startPos(e Expr) ops.Pos {
	switch x := e.(type) {
	case *Binary:
		if x.Start.Line != 0 {
			return x.Start
		}
		return startPos(x.X)
	case *Attr:
		if x.Start.Line != 0 {
			return x.Start
		}
		return startPos(x.X)
	case *Index:
		if x.Start.Line != 0 {
			return x.Start
		}
		return startPos(x.X)
	}
	return e.Position()
}
