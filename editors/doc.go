// Package editors holds nnc's editor packages: editors/vscode (a VS Code
// extension: a TextMate grammar, a language configuration and a client of
// the language server `nnc lsp`) and editors/vim (Vim and Neovim syntax,
// filetype and indent files). It has no code of its own; its tests check
// the two grammars against the language: every token that lang's lexer
// classifies in the sample files (models/*.nn, std/nn, the spec cases) and
// every keyword, built-in, std/nn name and train-block setting that nnc
// knows must get the right highlight.
//
// The tests need Node.js with the extension's npm packages (npm ci
// --ignore-scripts in editors/vscode) and vim; without them they are
// skipped, unless NNC_EDITORS=1, which makes a missing tool a failure.
package editors
