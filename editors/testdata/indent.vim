" indent.vim, run by editors_test.go: vim indents the file $NN_IN (every
" line's indentation removed) with editors/vim's indent file ($NN_RTP)
" and writes it to $NN_OUT.
set nocompatible
let &runtimepath = $NN_RTP . ',' . &runtimepath
filetype plugin indent on
syntax on
execute 'edit ' . fnameescape($NN_IN)
if &filetype !=# 'nn'
  cquit!
endif
normal! gg=G
execute 'write! ' . fnameescape($NN_OUT)
qall!
