" tohtml.vim, run by shoot.sh: writes lines $NN_FIRST to $NN_LAST of the
" .nn file $NN_FILE as HTML ($NN_OUT) highlighted by editors/vim ($NN_RTP)
" in the colorscheme $NN_SCHEME (shoot.sh: desert), with Vim's own :TOhtml.
set nocompatible
let &runtimepath = $NN_RTP . ',' . &runtimepath
filetype plugin indent on
syntax on
runtime plugin/tohtml.vim
set termguicolors background=dark
execute "colorscheme " . $NN_SCHEME
let g:html_number_lines = 1
let g:html_no_progress = 1
let g:html_pre_wrap = 0
let g:html_font = ['DejaVu Sans Mono', 'monospace']
execute 'edit ' . fnameescape($NN_FILE)
if &filetype !=# 'nn'
  cquit!
endif
execute $NN_FIRST . ',' . $NN_LAST . 'TOhtml'
execute 'write! ' . fnameescape($NN_OUT)
qall!
