-- One fixture in a real Neovim (headless): run by editors/run-tests.sh as
--   cd WORKSPACE && nvim --headless -u NONE -i NONE --cmd 'set rtp^=editors/nvim' \
--        -c 'filetype plugin on' -c 'luafile editors/nvim/test/run.lua'
-- Environment: APLS_BIN (the server), APLS_CASE (the fixture's case.json),
-- APLS_MODE ("helper": require('apls').apply_patch(); "builtin": the client's
-- own vim.lsp.buf.code_action with the user picking "Apply patch"),
-- APLS_OUT (results, one "ok - ..." or "not ok - ..." line each).
-- The workspace's files are compared with the expected tree by the caller
-- after Neovim has written its buffers and quit.
local out = assert(io.open(assert(os.getenv('APLS_OUT')), 'a'))
local mode = os.getenv('APLS_MODE') or 'helper'
local function report(ok, what, detail)
  out:write(string.format('%s - nvim %s: %s%s\n', ok and 'ok' or 'not ok', mode, what,
    (not ok and detail) and (' (' .. tostring(detail):gsub('\n', ' | ') .. ')') or ''))
  out:flush()
  return ok
end

local function read_json(path)
  local f = assert(io.open(path, 'r'))
  local s = f:read('*a')
  f:close()
  return vim.fn.json_decode(s)
end

local case = read_json(os.getenv('APLS_CASE'))
local root = vim.fn.getcwd()
local patch_path = root .. '/' .. case.patch
local patch_uri = vim.uri_from_fname(patch_path)

-- observe (never change) what the client receives
local published = {}   -- uri -> last diagnostics list
local messages = {}    -- window/showMessage texts
local notes = {}       -- vim.notify texts
do
  local n = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(notes, tostring(msg))
    return n(msg, level, opts)
  end
end
local commands_done = {}
do
  local h = vim.lsp.handlers['textDocument/publishDiagnostics']
  vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
    if result and result.uri then
      published[result.uri] = result.diagnostics
    end
    return h(err, result, ctx, config)
  end
  local m = vim.lsp.handlers['window/showMessage']
  vim.lsp.handlers['window/showMessage'] = function(err, result, ctx, config)
    table.insert(messages, result and result.message or '')
    return m(err, result, ctx, config)
  end
  local x = vim.lsp.handlers['workspace/executeCommand']
  vim.lsp.handlers['workspace/executeCommand'] = function(err, result, ctx, config)
    table.insert(commands_done, { command = ctx.params and ctx.params.command, err = err })
    return x(err, result, ctx, config)
  end
end

local apls = require('apls')
local server_exit -- { code, signal } once the server exited
apls.setup({
  cmd = { os.getenv('APLS_BIN'), '--log-level', 'debug' },
  on_exit = function(code, signal)
    server_exit = { code, signal }
  end,
})

-- vim.wait gives up early when interrupted (a message waiting for Enter
-- does that in a headless Neovim): wait again until the deadline
local function wait(ms, cond)
  local deadline = vim.loop.hrtime() / 1e6 + ms
  repeat
    if vim.wait(math.max(1, math.floor(deadline - vim.loop.hrtime() / 1e6)), cond, 20) then
      return true
    end
  until vim.loop.hrtime() / 1e6 >= deadline
  return cond() and true or false
end

local function finish()
  -- write every modified buffer, as the user would with :wall
  vim.cmd('silent! wall')
  local left = {}
  for _, b in ipairs(vim.fn.getbufinfo({ bufmodified = 1 })) do
    table.insert(left, b.name)
  end
  report(#left == 0, ':wall wrote every edited buffer', table.concat(left, ', '))
  -- the client's own shutdown (shutdown, then exit): the server exits by itself, with 0
  local clients = vim.lsp.get_active_clients()
  for _, c in ipairs(clients) do
    c.stop()
  end
  report(#clients == 1 and wait(5000, function() return server_exit ~= nil end)
    and server_exit[1] == 0 and server_exit[2] == 0,
    'the server exited by itself after shutdown and exit, with 0', vim.inspect(server_exit))
  out:close()
  vim.cmd('qa!')
end

local unsynced = {} -- buffers of edits the server is not sent
local function bytes_of(path)
  local f = io.open(path, 'rb')
  local d = f and f:read('*a')
  if f then
    f:close()
  end
  return d
end

local ok_run, run_err = pcall(function()
  -- 1. unsaved edits of target buffers; an "unsynced" one is opened without
  -- apls attached (as a buffer opened before setup, or of another root)
  for _, e in ipairs(case.buffer_edits or {}) do
    vim.cmd((e.unsynced and 'noautocmd edit ' or 'edit ') .. vim.fn.fnameescape(root .. '/' .. e.file))
    local b = vim.api.nvim_get_current_buf()
    if e.unsynced then
      table.insert(unsynced, b)
      report(apls.client(b) == nil, 'target buffer ' .. e.file .. ' is not attached')
    else
      report(wait(5000, function() return apls.client(b) ~= nil end), 'target buffer ' .. e.file .. ' is attached')
    end
    local text = table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\n')
    text = text:gsub(vim.pesc(e.from), (e.to:gsub('%%', '%%%%')))
    vim.api.nvim_buf_set_lines(b, 0, -1, false, vim.split(text, '\n', true))
  end

  -- 2. the patch
  vim.cmd('edit ' .. vim.fn.fnameescape(patch_path))
  local pbuf = vim.api.nvim_get_current_buf()
  report(vim.bo[pbuf].filetype == 'ap', 'ftdetect gives filetype ap', vim.bo[pbuf].filetype)
  report(wait(5000, function() return apls.client(pbuf) ~= nil end), 'apls attached to the patch')
  report(vim.bo[pbuf].commentstring == '# %s' and vim.b[pbuf].current_syntax == 'ap', 'ftplugin and syntax for ap',
    vim.bo[pbuf].commentstring .. ' ' .. tostring(vim.b[pbuf].current_syntax))
  if case.format == '3.2' then
    -- the format the server read, shown (apls/status), and the 3.2 syntax
    report(wait(5000, function() return apls.format(pbuf) == '3.2' end), 'b:apls_format is 3.2 (apls/status)',
      tostring(apls.format(pbuf)))
    report(apls.status(pbuf):match('^AP 3%.2 %x%x%x%x%x%x%x%x$') ~= nil, 'status() for a statusline', apls.status(pbuf))
    report(vim.b[pbuf].apls_syntax_format == '3.2', 'the 3.2 syntax is the one loaded',
      tostring(vim.b[pbuf].apls_syntax_format))
    local found = {}
    for l, text in ipairs(vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)) do
      local id, kw = text:match('^(%x%x%x%x%x%x%x%x) (%S+)')
      local at = id and (#id + 2) or 1
      local names = {}
      for _, sid in ipairs(vim.fn.synstack(l, at)) do
        names[vim.fn.synIDattr(sid, 'name')] = true
      end
      if kw == 'REPLACE' or kw == 'INSERT_AFTER' or kw == 'FILE' then
        found.action = (found.action ~= false) and names.apAction == true
      elseif kw == 'snippet' or kw == 'content' then
        found.code = (found.code ~= false) and names.apCodeKey == true
      elseif not id and (text:match('^double area') or text:match('^def area')) then
        found.value_plain = next(names) == nil
      end
    end
    report(found.action == true and found.code == true and found.value_plain == true,
      'syntax marks 3.2 directives, not value lines', vim.inspect(found))
    -- the text turned into 2.0 and back: the server says so, the syntax follows
    local saved = vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)
    vim.api.nvim_buf_set_lines(pbuf, 0, -1, false, { 'version: "2.0"', 'changes: []' })
    report(wait(5000, function() return apls.format(pbuf) == '2.0' and vim.b[pbuf].apls_syntax_format == '2.0' end),
      'typed into 2.0: b:apls_format and the syntax follow', tostring(vim.b[pbuf].apls_syntax_format))
    vim.api.nvim_buf_set_lines(pbuf, 0, -1, false, saved)
    report(wait(5000, function() return apls.format(pbuf) == '3.2' and vim.b[pbuf].apls_syntax_format == '3.2' end),
      'and back to 3.2', tostring(vim.b[pbuf].apls_syntax_format))
  end
  if case.format ~= '3.2' then
    local found = {}
    for l, text in ipairs(vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)) do
      for _, item in ipairs({ { 'REPLACE', 'apAction' }, { 'INSERT_AFTER', 'apAction' }, { 'CREATE_FILE', 'apAction' },
        { 'snippet', 'apCodeKey' }, { 'content', 'apCodeKey' } }) do
        local c = text:find(item[1] .. (item[2] == 'apCodeKey' and ':' or ''), 1, true)
        if c and text:match('^%s*-?%s*' .. (item[2] == 'apCodeKey' and item[1] or 'action')) then
          local names = {}
          for _, id in ipairs(vim.fn.synstack(l, c)) do
            names[vim.fn.synIDattr(id, 'name')] = true
          end
          found[item[2]] = found[item[2]] or names[item[2]] or false
        end
      end
    end
    report(found.apAction == true and found.apCodeKey == true, 'syntax marks actions and code-carrying keys',
      vim.inspect(found))
  end

  -- 3. diagnostics (as published, and as vim.diagnostic holds them)
  local function errors_now()
    local list = {}
    for _, d in ipairs(published[patch_uri] or {}) do
      if d.severity == 1 then
        table.insert(list, d)
      end
    end
    return list
  end
  local function matches()
    if published[patch_uri] == nil then
      return false
    end
    local got = errors_now()
    if #got ~= #case.errors then
      return false
    end
    for i, want in ipairs(case.errors) do
      local d = got[i]
      if d.code ~= want.code or d.source ~= 'apls' or not vim.deep_equal(d.range, want.range) then
        return false
      end
    end
    return true
  end
  local settled = wait(10000, matches)
  report(settled, string.format('diagnostics: %d error(s) with the expected code and range', #case.errors),
    vim.inspect(errors_now()))
  local lines = vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)
  local shown = {}
  for _, d in ipairs(vim.diagnostic.get(pbuf, { severity = vim.diagnostic.severity.ERROR })) do
    table.insert(shown, d)
  end
  local shown_ok = #shown == #case.errors
  for i, want in ipairs(case.errors) do
    local d = shown[i]
    local col = vim.str_byteindex(lines[want.range.start.line + 1], want.range.start.character, true)
    shown_ok = shown_ok and d ~= nil and d.code == want.code and d.lnum == want.range.start.line and d.col == col
  end
  report(shown_ok, 'vim.diagnostic shows them in the buffer', vim.inspect(shown))

  -- 4. hover, through the client's own hover window
  local hl = case.hover.line
  local hcol = vim.str_byteindex(lines[hl + 1], case.hover.character, true)
  vim.api.nvim_win_set_cursor(0, { hl + 1, hcol })
  local before = {}
  for _, w in ipairs(vim.api.nvim_list_wins()) do
    before[w] = true
  end
  vim.lsp.buf.hover()
  local float
  wait(5000, function()
    for _, w in ipairs(vim.api.nvim_list_wins()) do
      if not before[w] and vim.api.nvim_win_get_config(w).relative ~= '' then
        float = w
        return true
      end
    end
    return false
  end)
  local text = float and table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(float), 0, -1, false), '\n') or ''
  local has_all = float ~= nil
  for _, s in ipairs(case.hover.contains) do
    has_all = has_all and text:find(s, 1, true) ~= nil
  end
  report(has_all, 'hover window shows ' .. table.concat(case.hover.contains, ', '), text)
  if float and case.hover.visible then
    -- every character of these is shown: none concealed by the markdown
    -- syntax (Neovim 0.7 hid underscores taken for italics)
    local fb = vim.api.nvim_win_get_buf(float)
    local hidden = {}
    vim.api.nvim_win_call(float, function()
      for _, want in ipairs(case.hover.visible) do
        local found = false
        for l, line in ipairs(vim.api.nvim_buf_get_lines(fb, 0, -1, false)) do
          local c = line:find(want, 1, true)
          if c then
            found = true
            for k = c, c + #want - 1 do
              if vim.fn.synconcealed(l, k)[1] == 1 then
                table.insert(hidden, want .. ' (column ' .. k .. ' of ' .. vim.inspect(line) .. ')')
                break
              end
            end
          end
        end
        if not found then
          table.insert(hidden, want .. ' (not in the window)')
        end
      end
    end)
    report(#hidden == 0, 'hover shows every character of ' .. table.concat(case.hover.visible, ', '),
      table.concat(hidden, '; '))
  end
  if float then
    vim.api.nvim_win_close(float, true)
  end
  vim.api.nvim_set_current_buf(pbuf)

  -- 4b. warnings (the slips a patch is read with)
  if case.warnings then
    local function warnings_now()
      local list = {}
      for _, d in ipairs(published[patch_uri] or {}) do
        if d.severity == 2 then
          table.insert(list, d.code)
        end
      end
      table.sort(list)
      return list
    end
    report(wait(5000, function() return vim.deep_equal(warnings_now(), case.warnings) end),
      'warnings: ' .. table.concat(case.warnings, ', '), vim.inspect(warnings_now()))
  end

  local function set_text(b, from, to)
    local t = table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\n')
    local a, e = t:find(from, 1, true)
    if not a then
      return false
    end
    t = t:sub(1, a - 1) .. to .. t:sub(e + 1)
    vim.api.nvim_buf_set_lines(b, 0, -1, false, vim.split(t, '\n', true))
    return true
  end

  -- 4c. code lenses follow an edit made in normal mode (no InsertLeave):
  -- the plugin refreshes them when the diagnostics change
  if case.lens_edit then
    local function lens_titles()
      local out = {}
      for _, l in ipairs(vim.lsp.codelens.get(pbuf) or {}) do
        table.insert(out, l.command and l.command.title or '')
      end
      return table.concat(out, ' | ')
    end
    local function lenses_say(mark)
      return function()
        local t = lens_titles()
        return t:find(mark, 1, true) ~= nil and (mark ~= '✗' or t:find('✗', 1, true) ~= nil)
      end
    end
    report(wait(5000, function() return lens_titles():find('→', 1, true) ~= nil and not lens_titles():find('✗', 1, true) end),
      'code lenses: every modification lands', lens_titles())
    set_text(pbuf, case.lens_edit.from, case.lens_edit.to)
    report(wait(5000, lenses_say('✗')), 'code lenses follow a normal-mode edit that breaks a snippet', lens_titles())
    set_text(pbuf, case.lens_edit.to, case.lens_edit.from)
    report(wait(5000, function() return not lens_titles():find('✗', 1, true) end),
      'code lenses follow the edit undone', lens_titles())
  end

  -- 4d. every problem's preferred quick fix (errors and warnings), one after
  -- the other, applied as the client applies an edit: the patch ends clean
  -- and means the same
  if case.preferred_fixes then
    local client = apls.client(pbuf)
    local taken = {}
    for _ = 1, 10 do
      local ds = vim.tbl_filter(function(d) return d.severity <= 2 end, published[patch_uri] or {})
      if #ds == 0 then
        break
      end
      local d = ds[1]
      local resp = client.request_sync('textDocument/codeAction', {
        textDocument = { uri = patch_uri }, range = d.range, context = { diagnostics = { d } },
      }, 5000, pbuf)
      local fix
      for _, a in ipairs(resp and resp.result or {}) do
        if a.kind == 'quickfix' and a.isPreferred then
          fix = a
        end
      end
      if not fix then
        report(false, 'a preferred quick fix for ' .. d.code, vim.inspect(resp))
        break
      end
      table.insert(taken, fix.title)
      local before = published[patch_uri]
      vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
      wait(5000, function() return published[patch_uri] ~= before end)
    end
    report(wait(5000, function() return #(published[patch_uri] or { 1 }) == 0 end),
      'the preferred quick fixes leave no diagnostic', table.concat(taken, '; ') .. ' ' .. vim.inspect(published[patch_uri]))
  end

  -- 4e. completion through 'omnifunc' (<C-x><C-o>), which the plugin sets
  -- (one place, or a list of them)
  local completions = case.complete
  if completions and completions.after then completions = { completions } end
  if completions then
    report(vim.bo[pbuf].omnifunc == 'v:lua.vim.lsp.omnifunc', "the plugin sets 'omnifunc'", vim.bo[pbuf].omnifunc)
  end
  for _, want in ipairs(completions or {}) do
    local text_before = vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)
    local lnum, col
    for l, line in ipairs(vim.api.nvim_buf_get_lines(pbuf, 0, -1, false)) do
      local c = line:find(want.after, 1, true)
      if c then
        lnum, col = l, c - 1 + #want.after
        break
      end
    end
    local words = {}
    if lnum then
      -- what <C-x><C-o> calls: the function 'omnifunc' names, as Vim calls
      -- it (a headless Neovim cannot wait in insert mode, so the mode the
      -- answer's handler checks and the menu it fills are stood in for)
      vim.api.nvim_win_set_cursor(0, { lnum, col })
      local mode, complete = vim.fn.mode, vim.fn.complete
      local got
      vim.fn.mode = function() return 'i' end
      vim.fn.complete = function(_, items) got = items end
      local start_col
      vim.fn.complete = function(c, items) start_col, got = c, items end
      -- (Neovim 0.7 asks the server at the first call and answers -2)
      local ok_call, start = pcall(vim.api.nvim_eval, vim.bo[pbuf].omnifunc .. "(1, '')")
      if ok_call and start >= 0 then
        pcall(vim.api.nvim_eval, vim.bo[pbuf].omnifunc .. "(0, '')")
      end
      wait(5000, function() return got ~= nil end)
      vim.fn.mode, vim.fn.complete = mode, complete
      for _, it in ipairs(got or {}) do
        table.insert(words, type(it) == 'table' and it.word or it)
      end
      -- the first item put where the menu puts it gives the line wanted (a
      -- start column at the keyword would repeat the folders typed)
      local line = vim.api.nvim_buf_get_lines(pbuf, lnum - 1, lnum, false)[1]
      local chosen = words[1]
      for _, w in ipairs(words) do
        if vim.trim(w) == want.contains[1] then chosen = w break end
      end
      if want.line and chosen then
        local made = line:sub(1, start_col - 1) .. chosen
        report(made == want.line, 'choosing ' .. vim.trim(chosen) .. ' gives the line wanted', made)
      end
    end
    local all = lnum ~= nil
    for _, w in ipairs(want.contains) do
      all = all and (vim.tbl_contains(words, w) or vim.tbl_contains(vim.tbl_map(vim.trim, words), w))
    end
    report(all, '<C-x><C-o> after ' .. want.after .. ' offers ' .. table.concat(want.contains, ', '),
      vim.inspect(words))
    report(vim.deep_equal(vim.api.nvim_buf_get_lines(pbuf, 0, -1, false), text_before),
      'completion left the patch as it was')
  end

  -- 4f. the code action menu at a failing modification: at most one entry
  -- that only explains (this client shows no disabled actions)
  if case.menu then
    local ml = case.menu.line
    vim.api.nvim_win_set_cursor(0, { ml + 1, vim.str_byteindex(lines[ml + 1], case.menu.character, true) })
    local offered
    local select = vim.ui.select
    vim.ui.select = function(items, opts, on_choice)
      offered = {}
      for _, item in ipairs(items) do
        table.insert(offered, item[2].title)
      end
      on_choice(nil)
    end
    vim.lsp.buf.code_action()
    wait(5000, function() return offered ~= nil end)
    vim.ui.select = select
    local unavailable = 0
    for _, t in ipairs(offered or {}) do
      if t:find('(unavailable)', 1, true) then
        unavailable = unavailable + 1
      end
    end
    report(offered ~= nil and #offered > 1 and unavailable <= case.menu.max_unavailable,
      string.format('the code action menu has at most %d "(unavailable)" entry', case.menu.max_unavailable),
      table.concat(offered or {}, '; '))
  end

  -- 5. the whole-patch action: refused first while a buffer holds text the
  -- server has not seen (nothing changes), then, once it is written, applied
  local function refused_first(try)
    if #unsynced == 0 then
      return
    end
    local texts, disk, names = {}, {}, {}
    for i, b in ipairs(unsynced) do
      texts[i] = table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, true), '\n')
      disk[i] = bytes_of(vim.api.nvim_buf_get_name(b))
      names[i] = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(b), ':t')
    end
    local msg = try()
    local named = type(msg) == 'string' and msg:find('unsaved changes', 1, true) ~= nil
    for _, n in ipairs(names) do
      named = named and msg:find(n, 1, true) ~= nil
    end
    report(named, 'refused while ' .. table.concat(names, ', ') .. ' had unsaved changes, naming it', msg)
    local same = true
    for i, b in ipairs(unsynced) do
      same = same and texts[i] == table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, true), '\n')
        and disk[i] == bytes_of(vim.api.nvim_buf_get_name(b)) and vim.bo[b].modified
    end
    report(same, 'nothing was edited, in the buffers or on disk')
    for _, b in ipairs(unsynced) do -- as the message says: write it, then apply again
      vim.api.nvim_buf_call(b, function() vim.cmd('silent write') end)
    end
    vim.api.nvim_set_current_buf(pbuf)
  end
  if mode == 'helper' then
    refused_first(function()
      local done, ok, msg
      apls.apply_patch({ on_done = function(o, m) done, ok, msg = true, o, m end })
      wait(10000, function() return done end)
      return ok == false and msg or ('applied: ' .. tostring(msg))
    end)
    local done, ok, msg
    apls.apply_patch({ on_done = function(o, m) done, ok, msg = true, o, m end })
    report(wait(10000, function() return done end), 'apply_patch() finished')
    if case.applies then
      report(ok == true, 'apply_patch() applied the patch', msg)
    else
      report(ok == false and (msg or ''):find('must be fixed first', 1, true) ~= nil,
        'apply_patch() refused, with the reason', msg)
    end
  else
    local offered = {}
    local picked
    vim.ui.select = function(items, opts, on_choice)
      for _, item in ipairs(items) do
        local action = item[2]
        table.insert(offered, action.title)
        if not picked and action.kind == 'source.applyPatch' then
          picked = item
        end
      end
      on_choice(picked)
    end
    local function code_action()
      if vim.fn.has('nvim-0.8') == 1 then
        vim.lsp.buf.code_action({ context = { only = { 'source.applyPatch' } } })
      else
        vim.lsp.buf.code_action({ only = { 'source.applyPatch' } })
      end
    end
    refused_first(function()
      local before = #notes
      code_action()
      wait(5000, function() return #notes > before end)
      picked = nil
      return notes[before + 1]
    end)
    offered = {}
    code_action()
    report(wait(5000, function() return picked ~= nil end), 'code_action offered "Apply patch"',
      table.concat(offered, '; '))
    local action = picked and picked[2] or {}
    if case.applies then
      report(action.edit ~= nil and action.title:find('^Apply patch') ~= nil, 'the action carries its edit')
      if #case.creates > 0 then
        report(type(action.command) == 'table' and action.command.command == 'apls.createFiles',
          'the action carries apls.createFiles (no CreateFile for this client)', vim.inspect(action.command))
        report(wait(5000, function() return #commands_done > 0 end) and commands_done[1].err == nil,
          'the client ran apls.createFiles', vim.inspect(commands_done))
      end
    else
      report(action.edit == nil and (action.title or ''):find('unavailable', 1, true) ~= nil,
        'the action is "(unavailable)" and has no edit', action.title)
      report(wait(5000, function()
        for _, m in ipairs(messages) do
          if m:find('must be fixed first', 1, true) then
            return true
          end
        end
        return false
      end), 'running it shows why (apls.explain)', table.concat(messages, ' | '))
    end
  end
  for _, f in ipairs(case.creates or {}) do
    report(wait(5000, function() return vim.fn.filereadable(root .. '/' .. f) == 1 end), 'created ' .. f)
  end
end)
report(ok_run, 'the script ran to its end', run_err)
finish()
