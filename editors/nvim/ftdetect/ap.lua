-- .ap files are AI-friendly Patch documents (YAML), served by apls.
vim.cmd([[autocmd BufRead,BufNewFile *.ap setfiletype ap]])
