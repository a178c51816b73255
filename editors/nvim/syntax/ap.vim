" .ap (AI-friendly Patch 2.0): YAML, with the actions and the code-carrying
" keys set apart.
if exists('b:current_syntax')
  finish
endif
runtime! syntax/yaml.vim
unlet! b:current_syntax
syntax match apAction /\<\%(REPLACE\|INSERT_AFTER\|INSERT_BEFORE\|DELETE\|CREATE_FILE\)\>/ containedin=ALL
syntax match apCodeKey /^\s*\%(-\s\+\)\=\zs\%(snippet\|anchor\|content\|start_snippet\|end_snippet\)\ze\s*:/ containedin=ALL
syntax match apPlan /^#\s*\%(Summary\|Plan\):/ containedin=ALL
highlight default link apAction Keyword
highlight default link apCodeKey Special
highlight default link apPlan Title
let b:current_syntax = 'ap'
