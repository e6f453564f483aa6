package lang

// The syntax tree is internal to lang (see doc.go). lang/train.go still
// spells these names of it; the aliases go away once it uses the
// unexported ones: sed -i -E -e 's/\*File\b/*sourceFile/g' -e
// 's/\*Field\b/*trainField/g' -e 's/\bExpr\b/expr/g' -e
// 's/\*(Ident|IntLit|FloatLit|StringLit|BoolLit|ListLit|CallExpr)\b/*\l\1/g'
// -e 's/\*Unary\b/*unaryExpr/g' lang/train.go, then delete this file.
type (
	// Expr is expr, for lang/train.go.
	Expr = expr
	// File is sourceFile, for lang/train.go.
	File = sourceFile
	// Field is trainField, for lang/train.go.
	Field = trainField
	// Ident is ident, for lang/train.go.
	Ident = ident
	// IntLit is intLit, for lang/train.go.
	IntLit = intLit
	// FloatLit is floatLit, for lang/train.go.
	FloatLit = floatLit
	// StringLit is stringLit, for lang/train.go.
	StringLit = stringLit
	// BoolLit is boolLit, for lang/train.go.
	BoolLit = boolLit
	// Unary is unaryExpr, for lang/train.go.
	Unary = unaryExpr
	// ListLit is listLit, for lang/train.go.
	ListLit = listLit
	// CallExpr is callExpr, for lang/train.go.
	CallExpr = callExpr
)
