" Indentation of .nn files (nnc): one level inside { }, ( ) and [ ] that
" are left open at the end of a line; a line that starts with a closing
" bracket goes back one level.
if exists("b:did_indent")
  finish
endif
let b:did_indent = 1

setlocal indentexpr=NnIndent(v:lnum)
setlocal indentkeys=0{,0},0),0],!^F,o,O,e
setlocal autoindent

let b:undo_indent = "setlocal indentexpr< indentkeys< autoindent<"

if exists("*NnIndent")
  finish
endif

" s:Open counts the brackets a line leaves open (strings and // comments
" left out).
function! s:Open(line) abort
  let l:s = substitute(a:line, '"\(\\.\|[^"\\]\)*"', '""', 'g')
  let l:s = substitute(l:s, '//.*$', '', '')
  let l:n = 0
  for l:c in split(l:s, '\zs')
    if l:c =~# '[{(\[]'
      let l:n += 1
    elseif l:c =~# '[})\]]'
      let l:n -= 1
    endif
  endfor
  return l:n
endfunction

function! NnIndent(lnum) abort
  let l:prev = prevnonblank(a:lnum - 1)
  if l:prev == 0
    return 0
  endif
  let l:ind = indent(l:prev)
  let l:pline = getline(l:prev)
  " A line that opens brackets indents the next; a line that starts by
  " closing one was already moved back.
  let l:open = s:Open(l:pline)
  if l:pline =~# '^\s*[})\]]'
    let l:open += 1
  endif
  if l:open > 0
    let l:ind += shiftwidth()
  elseif l:open < 0
    let l:ind -= shiftwidth()
  endif
  if getline(a:lnum) =~# '^\s*[})\]]'
    let l:ind -= shiftwidth()
  endif
  return l:ind < 0 ? 0 : l:ind
endfunction
