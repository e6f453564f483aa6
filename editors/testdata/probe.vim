" probe.vim, run by editors_test.go: vim opens each file of $NN_POS (lines
" "file<TAB>line<TAB>byte column"), with editors/vim ($NN_RTP) first on the
" runtimepath so that the file type is detected as nn, and writes the
" names of the syntax groups at each position (synstack, outermost first,
" separated by spaces) to $NN_OUT, one line a position.
set nocompatible
let &runtimepath = $NN_RTP . ',' . &runtimepath
filetype plugin indent on
syntax on
let s:out = []
let s:cur = ''
for s:l in readfile($NN_POS)
  let [s:f, s:ln, s:c] = split(s:l, "\t")
  if s:f !=# s:cur
    execute 'edit! ' . fnameescape(s:f)
    if &filetype !=# 'nn'
      call writefile(['filetype of ' . s:f . ' is "' . &filetype . '"'], $NN_OUT)
      cquit!
    endif
    let s:cur = s:f
  endif
  let s:names = map(synstack(str2nr(s:ln), str2nr(s:c)), 'synIDattr(v:val, "name")')
  call add(s:out, join(s:names, ' '))
endfor
call writefile(s:out, $NN_OUT)
qall!
