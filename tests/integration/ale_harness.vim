" The harness around the README's Vim + ALE recipe (ale_test.sh sources the recipe
" after this file): ALE from Debian's vim-ale, and CalmAleTest(), which lints the
" buffer, waits for ALE and writes what it shows to $CALM_VIM_OUT.
set nocompatible
set runtimepath^=/usr/share/vim-ale
filetype plugin on
let g:ale_lint_on_enter = 0
let g:ale_lint_on_text_changed = 'never'
let g:ale_echo_cursor = 0

function! CalmAleTest() abort
  ALELint
  " wait for the job to start, then for ALE to finish with the buffer
  for i in range(600)
    if i > 5 && !ale#engine#IsCheckingBuffer(bufnr('')) | break | endif
    sleep 100m
  endfor
  let lines = []
  for d in getloclist(0)
    call add(lines, printf('ale %d:%d %s %s', d.lnum, d.col, d.type, d.text))
  endfor
  call add(lines, 'ale count=' . len(getloclist(0)))
  call writefile(lines, $CALM_VIM_OUT)
  qa!
endfunction
