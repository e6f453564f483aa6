" indent.vim, run by editors_test.go: for each line "in<TAB>out" of the
" file $NN_LIST, vim indents the file in (every line's indentation
" removed) with editors/vim's indent file ($NN_RTP) and writes it to out.
set nocompatible
let &runtimepath = $NN_RTP . ',' . &runtimepath
filetype plugin indent on
syntax on
for s:l in readfile($NN_LIST)
  let [s:in, s:out] = split(s:l, "\t")
  execute 'edit! ' . fnameescape(s:in)
  if &filetype !=# 'nn'
    cquit!
  endif
  normal! gg=G
  execute 'write! ' . fnameescape(s:out)
endfor
qall!
