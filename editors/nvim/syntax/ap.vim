" .ap (AI-friendly Patch): format 2.0 is YAML, with the actions and the
" code-carrying keys set apart; format 3.2 is lines of directives prefixed
" with the patch's id. Which one: b:apls_format, as the server read the
" patch (its apls/status notification, lua/apls), else the server's rule
" applied here: a header ('<id> AP <version>') or a directive with an 8-hex
" id and a block keyword at column 0 makes it 3.2.
if exists('b:current_syntax')
  finish
endif

function! s:detect() abort
  let l:n = 0
  for l:line in getline(1, '$')
    if l:line =~? '^[^ \t#]\S*[ \t]\+AP[ \t]\+\S' ||
          \ l:line =~# '^\x\{8}[ \t]\+\%(FILE\|REPLACE\|INSERT_AFTER\|INSERT_BEFORE\|DELETE\|CREATE\|RECREATE\|RENAME\)\%(\s\|$\)'
      return '3.2'
    endif
    let l:n += 1
    if l:n > 2000
      break
    endif
  endfor
  return '2.0'
endfunction

let b:apls_syntax_format = get(b:, 'apls_format', s:detect())

if b:apls_syntax_format ==# '3.2'
  " the id first: every directive, the header and END start with one
  syntax match apPlan /^#\s*\%(Summary\|Plan\):.*/
  syntax match apHeader /\c^[^ \t#]\S*[ \t]\+AP[ \t]\+\S\+/ contains=apId,apAction
  syntax match apDirective /\c^[^ \t#]\S*[ \t]\+\%(FILE\|REPLACE\|INSERT_AFTER\|INSERT_BEFORE\|DELETE\|CREATE\|RECREATE\|RENAME\|END\):\=\%([ \t].*\)\=$/ contains=apId,apAction,apNewline
  syntax match apDirective /\c^[^ \t#]\S*[ \t]\+\%(snippet_tail\|snippet\|anchor\|content\):\=[ \t]*$/ contains=apId,apCodeKey
  syntax match apDirective /\c^[^ \t#]\S*[ \t]\+\%(include_leading_blank_lines\|include_trailing_blank_lines\|scope_end\):\=\%([ \t]\+\d\+\)\=[ \t]*$/ contains=apId,apOption
  syntax match apId /^[^ \t#]\S*/ contained
  syntax match apAction /\c\s\zs\%(FILE\|REPLACE\|INSERT_AFTER\|INSERT_BEFORE\|DELETE\|CREATE\|RECREATE\|RENAME\|END\|AP\)\ze\%(:\|\s\|$\)/ contained
  syntax match apCodeKey /\c\s\zs\%(snippet_tail\|snippet\|anchor\|content\)/ contained
  syntax match apOption /\c\s\zs\%(include_leading_blank_lines\|include_trailing_blank_lines\|scope_end\)/ contained
  syntax match apNewline /\s\zs\%(CRLF\|CR\|LF\)\ze\%(\s\|$\)/ contained
  highlight default link apHeader PreProc
  highlight default link apId Identifier
  highlight default link apOption Type
  highlight default link apNewline Constant
else
  runtime! syntax/yaml.vim
  unlet! b:current_syntax
  syntax match apAction /\<\%(REPLACE\|INSERT_AFTER\|INSERT_BEFORE\|DELETE\|CREATE_FILE\)\>/ containedin=ALL
  syntax match apCodeKey /^\s*\%(-\s\+\)\=\zs\%(snippet\|anchor\|content\|start_snippet\|end_snippet\)\ze\s*:/ containedin=ALL
  syntax match apPlan /^#\s*\%(Summary\|Plan\):/ containedin=ALL
endif
highlight default link apAction Keyword
highlight default link apCodeKey Special
highlight default link apPlan Title
let b:current_syntax = 'ap'
