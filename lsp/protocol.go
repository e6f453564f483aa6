package lsp

// The messages of the Language Server Protocol (3.17) that the server
// reads and writes, with the protocol's JSON names. Only the fields the
// server uses are declared; a client's other fields are ignored.

// Position is a zero-based line and a UTF-16 offset in it (the protocol's
// default encoding).
type Position struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

// Range is a span of a document, End exclusive.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Location is a range in a document.
type Location struct {
	URI   string `json:"uri"`
	Range Range  `json:"range"`
}

// TextDocumentIdentifier names a document.
type TextDocumentIdentifier struct {
	URI string `json:"uri"`
}

// TextDocumentItem is an opened document.
type TextDocumentItem struct {
	URI        string `json:"uri"`
	LanguageID string `json:"languageId"`
	Version    int    `json:"version"`
	Text       string `json:"text"`
}

// DidOpenParams are textDocument/didOpen's.
type DidOpenParams struct {
	TextDocument TextDocumentItem `json:"textDocument"`
}

// ContentChange is one change of a document: the whole text when Range is
// nil, else the text that replaces Range.
type ContentChange struct {
	Range *Range `json:"range,omitempty"`
	Text  string `json:"text"`
}

// DidChangeParams are textDocument/didChange's.
type DidChangeParams struct {
	TextDocument struct {
		URI     string `json:"uri"`
		Version int    `json:"version"`
	} `json:"textDocument"`
	ContentChanges []ContentChange `json:"contentChanges"`
}

// DocumentParams are the parameters of requests about a whole document
// (didClose, didSave, formatting, documentSymbol).
type DocumentParams struct {
	TextDocument TextDocumentIdentifier `json:"textDocument"`
}

// PositionParams are the parameters of requests at a position (hover,
// definition, completion).
type PositionParams struct {
	TextDocument TextDocumentIdentifier `json:"textDocument"`
	Position     Position               `json:"position"`
}

// Diagnostic is an error shown in the editor.
type Diagnostic struct {
	Range    Range  `json:"range"`
	Severity int    `json:"severity"` // 1: error
	Code     string `json:"code"`
	Source   string `json:"source"`
	Message  string `json:"message"`
}

// PublishDiagnosticsParams are textDocument/publishDiagnostics's.
type PublishDiagnosticsParams struct {
	URI         string       `json:"uri"`
	Version     *int         `json:"version,omitempty"`
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// MarkupContent is formatted text.
type MarkupContent struct {
	Kind  string `json:"kind"` // "markdown"
	Value string `json:"value"`
}

// Hover is textDocument/hover's result.
type Hover struct {
	Contents MarkupContent `json:"contents"`
	Range    *Range        `json:"range,omitempty"`
}

// TextEdit replaces a range's text.
type TextEdit struct {
	Range   Range  `json:"range"`
	NewText string `json:"newText"`
}

// DocumentSymbol is one declaration of a document.
type DocumentSymbol struct {
	Name           string           `json:"name"`
	Detail         string           `json:"detail,omitempty"`
	Kind           int              `json:"kind"`
	Range          Range            `json:"range"`
	SelectionRange Range            `json:"selectionRange"`
	Children       []DocumentSymbol `json:"children,omitempty"`
}

// The symbol kinds used.
const (
	symModule   = 2
	symClass    = 5
	symMethod   = 6
	symField    = 8
	symFunction = 12
	symVariable = 13
	symConstant = 14
)

// CompletionItem is one completion.
type CompletionItem struct {
	Label  string `json:"label"`
	Kind   int    `json:"kind,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// The completion item kinds used.
const (
	compMethod   = 2
	compFunction = 3
	compField    = 5
	compVariable = 6
	compClass    = 7
	compModule   = 9
	compKeyword  = 14
	compConstant = 21
)

// ReferenceParams are textDocument/references's.
type ReferenceParams struct {
	TextDocument TextDocumentIdentifier `json:"textDocument"`
	Position     Position               `json:"position"`
	Context      struct {
		IncludeDeclaration bool `json:"includeDeclaration"`
	} `json:"context"`
}

// SignatureHelp is textDocument/signatureHelp's result: one signature.
type SignatureHelp struct {
	Signatures      []SignatureInformation `json:"signatures"`
	ActiveSignature int                    `json:"activeSignature"`
	// ActiveParameter is out of the parameters' range when the cursor is
	// in none of them (an unknown keyword, one argument too many).
	ActiveParameter int `json:"activeParameter"`
}

// SignatureInformation is a callee's call form.
type SignatureInformation struct {
	Label         string                 `json:"label"`
	Documentation *MarkupContent         `json:"documentation,omitempty"`
	Parameters    []ParameterInformation `json:"parameters"`
}

// ParameterInformation is a parameter of a signature: its start and end
// (exclusive) in the label, in UTF-16 code units.
type ParameterInformation struct {
	Label [2]int `json:"label"`
}

// SemanticTokensLegend names the token types and modifiers by their
// index in the encoding.
type SemanticTokensLegend struct {
	TokenTypes     []string `json:"tokenTypes"`
	TokenModifiers []string `json:"tokenModifiers"`
}

// SemanticTokens is textDocument/semanticTokens/full's result.
type SemanticTokens struct {
	Data []int `json:"data"`
}

// CodeActionParams are textDocument/codeAction's.
type CodeActionParams struct {
	TextDocument TextDocumentIdentifier `json:"textDocument"`
	Range        Range                  `json:"range"`
}

// CodeAction is a fix offered for a range.
type CodeAction struct {
	Title       string        `json:"title"`
	Kind        string        `json:"kind"` // "quickfix"
	Diagnostics []Diagnostic  `json:"diagnostics"`
	IsPreferred bool          `json:"isPreferred,omitempty"`
	Edit        WorkspaceEdit `json:"edit"`
}

// WorkspaceEdit is a set of edits by document URI.
type WorkspaceEdit struct {
	Changes map[string][]TextEdit `json:"changes"`
}

// InitializeResult is initialize's result.
type InitializeResult struct {
	Capabilities ServerCapabilities `json:"capabilities"`
	ServerInfo   struct {
		Name string `json:"name"`
	} `json:"serverInfo"`
}

// ServerCapabilities says what the server does.
type ServerCapabilities struct {
	TextDocumentSync struct {
		OpenClose bool `json:"openClose"`
		Change    int  `json:"change"` // 2: incremental
	} `json:"textDocumentSync"`
	HoverProvider              bool `json:"hoverProvider"`
	DefinitionProvider         bool `json:"definitionProvider"`
	DocumentFormattingProvider bool `json:"documentFormattingProvider"`
	DocumentSymbolProvider     bool `json:"documentSymbolProvider"`
	CompletionProvider         struct {
		TriggerCharacters []string `json:"triggerCharacters"`
	} `json:"completionProvider"`
	ReferencesProvider bool `json:"referencesProvider"`
	CodeActionProvider struct {
		CodeActionKinds []string `json:"codeActionKinds"`
	} `json:"codeActionProvider"`
	SemanticTokensProvider struct {
		Legend SemanticTokensLegend `json:"legend"`
		Full   bool                 `json:"full"`
	} `json:"semanticTokensProvider"`
	SignatureHelpProvider struct {
		TriggerCharacters   []string `json:"triggerCharacters"`
		RetriggerCharacters []string `json:"retriggerCharacters"`
	} `json:"signatureHelpProvider"`
}

// LogMessageParams are window/logMessage's.
type LogMessageParams struct {
	Type    int    `json:"type"` // 1: error
	Message string `json:"message"`
}

// docRequest is the parameters of a request about one document.
type docRequest interface{ document() TextDocumentIdentifier }

func (p *DocumentParams) document() TextDocumentIdentifier   { return p.TextDocument }
func (p *PositionParams) document() TextDocumentIdentifier   { return p.TextDocument }
func (p *ReferenceParams) document() TextDocumentIdentifier  { return p.TextDocument }
func (p *CodeActionParams) document() TextDocumentIdentifier { return p.TextDocument }
