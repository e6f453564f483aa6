" Vim syntax file
" Language: nn (the model files of nnc)
" Filenames: *.nn
"
" The lists of keywords, built-ins and train-block settings are checked
" against nnc's own by editors/editors_test.go.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

syn case match

" Declarations and statements.
syn keyword nnInclude      import as
syn keyword nnStorage      fn model param state const train
syn keyword nnStatement    return
syn keyword nnConditional  if else
syn keyword nnRepeat       for in
syn keyword nnBoolean      true false
syn keyword nnBuiltinVar   training params
syn match   nnSparse       "\<sparse\>\ze\s\+\%(f32\|f64\|i32\|i64\|bool\)\>"

" Types: element types, the kinds of model arguments, and a tensor type's
" dimensions. A name among the dimensions is a shape variable (B, T) or a
" value (a model's argument); `nnc lsp`'s semantic tokens tell them apart.
" A type ends at the end of its line too (a type left open while typing
" does not color the lines below). Shape variables are linked to PreProc,
" a group that nothing else of .nn uses, so that they stand apart in most
" color schemes.
syn keyword nnType         f32 f64 i32 i64 bool int float
syn match   nnType         "\%(:\s*\)\@<=\<\%(ints\|str\|string\)\>"
syn region  nnShape        matchgroup=nnShapeBracket start="\%(\<\%(f32\|f64\|i32\|i64\|bool\|int\|float\)\s*\)\@<=\[" end="\]" end="$" contains=nnShapeVar,nnNumber,nnFloat,nnEllipsis,nnShapeNested,nnOperator,nnComment
syn region  nnShapeNested  contained matchgroup=nnShapeBracket start="\[" end="\]" contains=nnShapeVar,nnNumber,nnFloat,nnEllipsis,nnShapeNested,nnOperator
syn match   nnShapeVar     contained "\<[A-Za-z_][A-Za-z0-9_]*\>"
syn match   nnEllipsis     contained "\.\.\."

" Names being declared.
syn match   nnFuncName     "\%(\<fn\s\+\)\@<=[A-Za-z_][A-Za-z0-9_]*"
syn match   nnModelName    "\%(\<\%(model\|train\)\s\+\)\@<=[A-Za-z_][A-Za-z0-9_]*"

" Built-in functions and initializers, called.
syn match   nnBuiltin      "\<\%(abs\|all\|any\|arange\|argmax\|argmin\|attention\|avg_pool2d\|avg_pool3d\|batch_norm\|binary_cross_entropy\|binary_cross_entropy_with_logits\|broadcast_to\|cast\|clip\|concat\|conv1d\|conv2d\|conv3d\|cos\|cross_entropy\|dropout\|elu\|embedding\|erf\|exp\|eye\|flatten\|full\|gather\|gelu\|grad\|gru_cell\|huber\|hvp\|jvp\|l1\|l2\|layer_norm\|leaky_relu\|log\|log1p\|log_softmax\|logsumexp\|lstm_cell\|max\|max_pool2d\|max_pool3d\|maximum\|mean\|min\|minimum\|mish\|mse\|neg\|norm\|normal\|one_hot\|ones\|pad\|pow\|prod\|relu\|reshape\|rsqrt\|scan\|sigmoid\|sign\|silu\|sin\|softmax\|softplus\|split\|spmm\|sqrt\|square\|squeeze\|stack\|std\|stop_gradient\|sum\|take\|tanh\|transpose\|uniform\|unsqueeze\|var\|vjp\|where\|zeros\)\>\ze\s*("
syn match   nnBuiltin      "\<\%(constant\|glorot_uniform\|glorot_normal\|he_uniform\|he_normal\|orthogonal\)\>\ze\s*("

" grad after a function's closing brace begins its own gradient (after the
" built-ins: a later item wins where both match).
syn match   nnGradKeyword  "\%(}\s*\)\@<=\<grad\>\ze\s*("

" The layers and functions of std/nn (imported as nn).
syn match   nnStd          "\%(\<nn\s*\.\s*\)\@<=[A-Za-z_][A-Za-z0-9_]*\>"

" A train block and its settings (at the start of a line, before "=").
syn region  nnTrain        matchgroup=nnBrace start="\%(\<train\s\+[A-Za-z_][A-Za-z0-9_]*\s*\)\@<={" end="}" contains=ALLBUT,nnShapeVar,nnShapeNested,nnEllipsis,nnEscape,nnTodo,nnKwarg
syn region  nnMap          contained matchgroup=nnBrace start="{" end="}" contains=ALLBUT,nnShapeVar,nnShapeNested,nnEllipsis,nnEscape,nnTodo,nnTrainKey,nnKwarg
syn match   nnTrainKey     contained "^\s*\zs\%(accumulate\|augment\|batch\|checkpoint\|class_weights\|clip_norm\|clip_value\|data\|early_stop\|ema\|entry\|epochs\|eval_train\|freeze\|groups\|init_from\|inputs\|labels\|log_every\|metrics\|noise\|optimizer\|preprocess\|prune\|sampler\|schedule\|seed\|seeds\|split\|val_every\)\>\ze\s*=[^=]"
syn match   nnTrainFunc    contained "\<\%(constant\|step\|linear\|graph\|sgd\|adam\|adamw\|rmsprop\|adagrad\|lion\|cosine\|exponential\|one_cycle\|plateau\|csv\|npz\|npy\|idx\|safetensors\|mnist\|fashion_mnist\|text\|images\|jsonl\)\>\ze\s*("

" Parentheses, and keyword arguments (name = value) inside them.
syn region  nnParen        transparent matchgroup=nnParenDelim start="(" end=")" contains=ALLBUT,nnShapeVar,nnShapeNested,nnEllipsis,nnEscape,nnTodo,nnTrainKey
syn match   nnKwarg        contained "\%(^\s*\|[(,]\s*\)\@<=[A-Za-z_][A-Za-z0-9_]*\ze\s*=[^=]"

" Operators (before comments and strings: a later item wins where both match).
syn match   nnOperator     "->\|<-\|\.\.\.\|\.\.\|\*\*\|[-+*/%@]\|==\|!=\|<=\|>=\|[<>]\|&&\|||\|!"

" Literals and comments.
syn match   nnNumber       "\<\d\+\>"
syn match   nnFloat        "\<\d\+\.\d\+\%([eE][+-]\=\d\+\)\=\>"
syn match   nnFloat        "\<\d\+[eE][+-]\=\d\+\>"
syn match   nnEscape       contained "\\."
syn region  nnString       start=+"+ skip=+\\.+ end=+"+ end=+$+ contains=nnEscape,@Spell
syn keyword nnTodo         contained TODO FIXME XXX NOTE
syn match   nnComment      "//.*$" contains=nnTodo,@Spell


hi def link nnInclude      Include
hi def link nnStorage      Keyword
hi def link nnStatement    Statement
hi def link nnConditional  Conditional
hi def link nnRepeat       Repeat
hi def link nnBoolean      Boolean
hi def link nnBuiltinVar   Special
hi def link nnGradKeyword  Keyword
hi def link nnSparse       StorageClass
hi def link nnType         Type
hi def link nnShapeBracket Type
hi def link nnShapeVar     PreProc
hi def link nnEllipsis     Special
hi def link nnFuncName     Function
hi def link nnModelName    Structure
hi def link nnBuiltin      Function
hi def link nnStd          Function
hi def link nnTrainKey     Label
hi def link nnBrace        Delimiter
hi def link nnTrainFunc    Function
hi def link nnKwarg        Identifier
hi def link nnNumber       Number
hi def link nnFloat        Float
hi def link nnEscape       SpecialChar
hi def link nnString       String
hi def link nnTodo         Todo
hi def link nnComment      Comment
hi def link nnOperator     Operator

" Regions (train blocks, calls over several lines) are found from the
" start of the file: .nn files are short.
syn sync fromstart

let b:current_syntax = "nn"

let &cpo = s:cpo_save
unlet s:cpo_save
