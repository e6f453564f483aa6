package lang

import "github.com/alecthomas/participle/v2/lexer"

// The participle grammar. These structs are the concrete syntax; convert.go
// turns them into the AST of ast.go, which the checker interprets. Every
// declaration, member and statement ends with one NL token (see lexer.go).

type gFile struct {
	Decls []*gDecl `parser:"NL? @@*"`
}

type gDecl struct {
	Import *gImport `parser:"(  @@"`
	Const  *gConst  `parser:" | @@"`
	Fn     *gFn     `parser:" | @@"`
	Model  *gModel  `parser:" | @@"`
	Train  *gTrain  `parser:" | @@ ) NL"`
}

type gImport struct {
	Pos  lexer.Position
	Path string `parser:"\"import\" @String"`
	As   string `parser:"(\"as\" @Ident)?"`
}

type gConst struct {
	Pos   lexer.Position
	Name  string `parser:"\"const\" @Ident \"=\""`
	Value *gExpr `parser:"@@"`
}

type gFn struct {
	Pos    lexer.Position
	Name   string    `parser:"\"fn\" @Ident \"(\""`
	Params []*gParam `parser:"(@@ (\",\" @@)*)? \",\"? \")\""`
	Result *gType    `parser:"(\"->\" @@)?"`
	Short  *gExpr    `parser:"(  \"=\" @@"`
	Body   *gBlock   `parser:" | @@"`
	Grad   *gGrad    `parser:"   @@? )"`
}

// gGrad is a function's own gradient, after its body on the line of its
// closing brace: `} grad(x, y, g) { ... }`.
type gGrad struct {
	Pos   lexer.Position
	Names []string `parser:"\"grad\" \"(\" (@Ident (\",\" @Ident)*)? \",\"? \")\""`
	Body  *gBlock  `parser:"@@"`
}

type gParam struct {
	Pos     lexer.Position
	Name    string `parser:"@Ident \":\""`
	Type    *gType `parser:"@@"`
	Default *gExpr `parser:"(\"=\" @@)?"`
}

type gModel struct {
	Pos     lexer.Position
	Name    string     `parser:"\"model\" @Ident"`
	Args    []*gParam  `parser:"(\"(\" (@@ (\",\" @@)*)? \",\"? \")\")?"`
	Members []*gMember `parser:"\"{\" @@* \"}\""`
}

type gMember struct {
	Param *gLeafDecl `parser:"(  \"param\" @@"`
	State *gLeafDecl `parser:" | \"state\" @@"`
	Fn    *gFn       `parser:" | @@"`
	Sub   *gSubDecl  `parser:" | @@ ) NL"`
}

type gLeafDecl struct {
	Pos  lexer.Position
	Name string `parser:"@Ident \":\""`
	Type *gType `parser:"@@"`
	Init *gExpr `parser:"(\"=\" @@)?"`
}

type gSubDecl struct {
	Pos   lexer.Position
	Name  string `parser:"@Ident \"=\""`
	Value *gExpr `parser:"@@"`
}

type gTrain struct {
	Pos    lexer.Position
	Model  string    `parser:"\"train\" @Ident \"{\""`
	Fields []*gField `parser:"(@@ NL)* \"}\""`
}

type gField struct {
	Pos   lexer.Position
	Name  string `parser:"@Ident \"=\""`
	Map   *gMap  `parser:"(  @@"`
	Value *gExpr `parser:" | @@ )"`
}

// gMap is `{key: value, ...}`, a train setting's value only (inputs =
// {ids: "x", next: "y"}). The lexer ends the line before a closing brace
// on the same line, hence NL? before "}".
type gMap struct {
	Pos     lexer.Position
	Entries []*gMapEntry `parser:"\"{\" (@@ (\",\" @@)*)? \",\"? NL? \"}\""`
}

type gMapEntry struct {
	Pos   lexer.Position
	Key   string `parser:"@Ident \":\""`
	Value *gExpr `parser:"@@"`
}

type gType struct {
	Pos    lexer.Position
	Tuple  []*gType `parser:"(  \"(\" @@ (\",\" @@)* \")\""`
	Sparse bool     `parser:" | @\"sparse\"?"`
	Name   string   `parser:"   @Ident"`
	Dims   []*gDim  `parser:"   (\"[\" (@@ (\",\" @@)*)? \"]\")? )"`
}

type gDim struct {
	Pos      lexer.Position
	Ellipsis bool   `parser:"(  @\"...\""`
	Expr     *gExpr `parser:" | @@ )"`
}

type gBlock struct {
	Pos   lexer.Position
	Stmts []*gStmt `parser:"\"{\" @@* \"}\""`
}

type gStmt struct {
	Return *gReturn `parser:"(  @@"`
	If     *gIf     `parser:" | @@"`
	For    *gFor    `parser:" | @@"`
	Assign *gAssign `parser:" | @@ ) NL"`
}

type gReturn struct {
	Pos    lexer.Position
	Values []*gExpr `parser:"\"return\" (@@ (\",\" @@)*)?"`
}

type gIf struct {
	Pos    lexer.Position
	Cond   *gExpr  `parser:"\"if\" @@"`
	Then   *gBlock `parser:"@@"`
	ElseIf *gIf    `parser:"(\"else\" ( @@"`
	Else   *gBlock `parser:"        | @@ ))?"`
}

type gFor struct {
	Pos  lexer.Position
	Var  string  `parser:"\"for\" @Ident \"in\""`
	From *gExpr  `parser:"@@ \"..\""`
	To   *gExpr  `parser:"@@"`
	Body *gBlock `parser:"@@"`
}

type gAssign struct {
	Pos    lexer.Position
	Names  []string `parser:"@Ident (\",\" @Ident)*"`
	Update bool     `parser:"( @\"<-\" | \"=\" )"`
	Value  *gExpr   `parser:"@@"`
}

// Expressions, one level per precedence class, lowest first.

type gExpr struct {
	Pos  lexer.Position
	Left *gAnd      `parser:"@@"`
	Rest []*gOrRest `parser:"@@*"`
}

type gOrRest struct {
	Pos   lexer.Position
	Op    string `parser:"@\"||\""`
	Right *gAnd  `parser:"@@"`
}

type gAnd struct {
	Pos  lexer.Position
	Left *gCmp       `parser:"@@"`
	Rest []*gAndRest `parser:"@@*"`
}

type gAndRest struct {
	Pos   lexer.Position
	Op    string `parser:"@\"&&\""`
	Right *gCmp  `parser:"@@"`
}

type gCmp struct {
	Pos  lexer.Position
	Left *gAdd       `parser:"@@"`
	Rest []*gCmpRest `parser:"@@*"`
}

type gCmpRest struct {
	Pos   lexer.Position
	Op    string `parser:"@(\"==\" | \"!=\" | \"<=\" | \">=\" | \"<\" | \">\")"`
	Right *gAdd  `parser:"@@"`
}

type gAdd struct {
	Pos  lexer.Position
	Left *gMul       `parser:"@@"`
	Rest []*gAddRest `parser:"@@*"`
}

type gAddRest struct {
	Pos   lexer.Position
	Op    string `parser:"@(\"+\" | \"-\")"`
	Right *gMul  `parser:"@@"`
}

type gMul struct {
	Pos  lexer.Position
	Left *gUnary     `parser:"@@"`
	Rest []*gMulRest `parser:"@@*"`
}

type gMulRest struct {
	Pos   lexer.Position
	Op    string  `parser:"@(\"@\" | \"*\" | \"/\" | \"%\")"`
	Right *gUnary `parser:"@@"`
}

type gUnary struct {
	Pos     lexer.Position
	Op      string  `parser:"(  @(\"-\" | \"!\")"`
	Operand *gUnary `parser:"   @@"`
	Power   *gPower `parser:" | @@ )"`
}

type gPower struct {
	Pos  lexer.Position
	Base *gPostfix `parser:"@@"`
	Exp  *gPowRest `parser:"@@?"`
}

type gPowRest struct {
	Pos   lexer.Position
	Op    string  `parser:"@\"**\""`
	Right *gUnary `parser:"@@"`
}

type gPostfix struct {
	Pos     lexer.Position
	Primary *gPrimary  `parser:"@@"`
	Suffix  []*gSuffix `parser:"@@*"`
}

type gSuffix struct {
	Pos   lexer.Position
	Attr  string    `parser:"(  \".\" @Ident"`
	Call  *gArgs    `parser:" | \"(\" @@ \")\""`
	Index []*gIndex `parser:" | \"[\" @@ (\",\" @@)* \"]\" )"`
}

type gArgs struct {
	Args []*gArg `parser:"(@@ (\",\" @@)*)? \",\"?"`
}

type gArg struct {
	Pos   lexer.Position
	Name  string `parser:"(@Ident \"=\")?"`
	Value *gExpr `parser:"@@"`
}

type gIndex struct {
	Pos      lexer.Position
	Ellipsis bool    `parser:"(  @'...'"`
	Head     *gSlice `parser:" | @@"`
	Lo       *gExpr  `parser:" | @@"`
	Slice    *gSlice `parser:"   @@? )"`
}

type gSlice struct {
	Pos   lexer.Position
	Colon bool   `parser:"@\":\""`
	Hi    *gExpr `parser:"@@?"`
	Step  *gStep `parser:"@@?"`
}

type gStep struct {
	Colon bool   `parser:"@\":\""`
	Step  *gExpr `parser:"@@?"`
}

type gPrimary struct {
	Pos   lexer.Position
	Float *string  `parser:"(  @Float"`
	Int   *string  `parser:" | @Int"`
	Str   *string  `parser:" | @String"`
	Bool  *string  `parser:" | @(\"true\" | \"false\")"`
	Paren []*gExpr `parser:" | \"(\" @@ (\",\" @@)* \",\"? \")\""`
	List  *gList   `parser:" | \"[\" @@ \"]\""`
	Ident string   `parser:" | @Ident )"`
}

type gList struct {
	Pos   lexer.Position
	First *gExpr   `parser:"(@@"`
	For   *gComp   `parser:" @@?"`
	More  []*gExpr `parser:" (\",\" @@)* \",\"? )?"`
}

type gComp struct {
	Pos  lexer.Position
	Var  string `parser:"\"for\" @Ident \"in\""`
	From *gExpr `parser:"@@ \"..\""`
	To   *gExpr `parser:"@@"`
}
