-- apls for Neovim: starts the apls language server through the built-in LSP
-- client and attaches it to every file buffer, so that the server sees the
-- unsaved text of the files a patch targets, not only the .ap patch itself.
--
--   require('apls').setup({})              -- defaults: `apls` on the PATH
--   :AplsApply        apply the whole patch of the current .ap buffer
--   :AplsShowTarget   say where the modification under the cursor lands
--   :checkhealth apls the server's path and version, each patch's root (health.lua)
--   :AplsStatus       say which format (2.0, 3.2) the server reads the patch as;
--                     require('apls').status() gives "AP 3.2 e4a2f1b8" for a statusline
--
-- Works with Neovim 0.7 (vim.lsp.start_client + vim.lsp.buf_attach_client)
-- and 0.8+ (vim.lsp.start).
--
-- An edit of apls is applied only to buffers that hold the text the server
-- built it on (M.check_edit): the version it names for a buffer it was sent,
-- the file on disk for one it was not (a buffer opened before setup, or
-- attached to another root's client). A file whose last line has no line
-- break and keeps none in the patch's result keeps it so when written
-- ('fixeol' off in that buffer).
local M = {}

local defaults = {
  cmd = { 'apls' },          -- the server command; add '--log-level', 'debug' to log more
  root_dir = nil,            -- string, or function(bufnr) -> string; default: see M.root_dir
  root_markers = { '.git', '.hg', '.svn' },
  settings = {},             -- apls settings: root, debounceMs, trailingWhitespace, logLevel
  keymaps = true,            -- the suggested mappings in .ap buffers (see M.keymaps)
  codelens = true,           -- refresh code lenses in .ap buffers
  on_attach = nil,           -- function(client, bufnr), called for every attached buffer
  on_exit = nil,             -- function(code, signal, client_id), when the server exits
  capabilities = nil,        -- merged over vim.lsp.protocol.make_client_capabilities()
}

M.config = vim.deepcopy(defaults)

local clients = {} -- root_dir -> client id (Neovim 0.7 path)

local function notify(msg, level)
  vim.notify('apls: ' .. msg, level or vim.log.levels.INFO)
end

local function is_file_buffer(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return false
  end
  if vim.bo[bufnr].buftype ~= '' then
    return false
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  return name ~= '' and not name:match('^%a[%w+.-]*://')
end

local function is_patch(bufnr)
  return vim.bo[bufnr].filetype == 'ap'
    or vim.api.nvim_buf_get_name(bufnr):match('%.ap$') ~= nil
end

--- The workspace folder for a buffer: root_dir if set, else the nearest
--- folder above the file holding one of root_markers, else the current
--- directory (when the file is under it), else the file's folder. The second
--- value says which of these it is (for :checkhealth apls).
function M.root_dir(bufnr)
  local cfg = M.config
  if type(cfg.root_dir) == 'function' then
    return cfg.root_dir(bufnr), 'the root_dir function of setup()'
  elseif type(cfg.root_dir) == 'string' then
    return (vim.fn.fnamemodify(cfg.root_dir, ':p'):gsub('/$', '')), 'root_dir of setup()'
  end
  local file = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p')
  local dir = vim.fn.fnamemodify(file, ':h')
  local probe = dir
  while probe and probe ~= '' do
    for _, marker in ipairs(cfg.root_markers or {}) do
      if (vim.uv or vim.loop).fs_stat(probe .. '/' .. marker) then
        return probe, 'holds ' .. marker
      end
    end
    local parent = vim.fn.fnamemodify(probe, ':h')
    if parent == probe then
      break
    end
    probe = parent
  end
  local cwd = vim.fn.getcwd()
  if file:sub(1, #cwd + 1) == cwd .. '/' then
    return cwd, 'the current directory (no ' .. table.concat(cfg.root_markers or {}, ', ') .. ' above the file)'
  end
  return dir, "the file's folder (no marker above it, outside the current directory)"
end

local function settings()
  local s = vim.tbl_extend('force', {}, M.config.settings or {})
  -- an empty table would travel as a JSON array
  return next(s) == nil and vim.empty_dict() or s
end

--- The format apls read a patch buffer as ("3.2", "2.0"), from its
--- apls/status notification; nil before the server said.
function M.format(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  return vim.b[bufnr].apls_format
end

--- "AP 3.2 e4a2f1b8" / "AP 2.0" for a statusline ('%{v:lua.require'apls'.status()}'),
--- or '' before the server said.
function M.status(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local st = vim.b[bufnr].apls_status
  if type(st) ~= 'table' then
    return ''
  end
  return 'AP ' .. st.format .. (type(st.id) == 'string' and (' ' .. st.id) or '')
end

-- apls/status: the buffer's format (b:apls_format, b:apls_status); the
-- syntax is chosen again when it differs from the one the buffer shows
local function on_status(_, result)
  if type(result) ~= 'table' or type(result.uri) ~= 'string' then
    return
  end
  local ok, fname = pcall(vim.uri_to_fname, result.uri)
  if not ok then
    return
  end
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.api.nvim_buf_get_name(b) == fname then
      vim.b[b].apls_format = result.format
      vim.b[b].apls_status = result
      if vim.bo[b].syntax == 'ap' and vim.b[b].apls_syntax_format ~= result.format then
        vim.bo[b].syntax = 'ap' -- reloads syntax/ap.vim, which reads b:apls_format
      end
    end
  end
end

local function client_config(root)
  local caps = vim.lsp.protocol.make_client_capabilities()
  if M.config.capabilities then
    caps = vim.tbl_deep_extend('force', caps, M.config.capabilities)
  end
  return {
    name = 'apls',
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = settings(),
    settings = { apls = settings() },
    capabilities = caps,
    handlers = { ['apls/status'] = on_status },
    on_exit = function(code, signal, id)
      if M.config.on_exit then
        M.config.on_exit(code, signal, id)
      end
    end,
    on_attach = function(client, bufnr)
      if is_patch(bufnr) then
        -- completion with <C-x><C-o> (Neovim 0.7 leaves 'omnifunc' empty)
        if vim.bo[bufnr].omnifunc == '' then
          vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
        end
        if M.config.keymaps then
          M.keymaps(bufnr)
        end
        if M.config.codelens and vim.lsp.codelens then
          pcall(vim.lsp.codelens.refresh)
        end
      end
      if M.config.on_attach then
        M.config.on_attach(client, bufnr)
      end
    end,
  }
end

--- Attaches apls to a buffer (any file: patches and the files they target).
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not is_file_buffer(bufnr) then
    return nil
  end
  local root = (M.root_dir(bufnr))
  if vim.lsp.start then -- Neovim 0.8+
    return vim.lsp.start(client_config(root), { bufnr = bufnr })
  end
  local id = clients[root]
  if not id or not vim.lsp.get_client_by_id(id) or vim.lsp.get_client_by_id(id).is_stopped() then
    id = vim.lsp.start_client(client_config(root))
    if not id then
      notify('cannot start ' .. table.concat(M.config.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    clients[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The apls client attached to a buffer, if any.
function M.client(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local list
  if vim.lsp.get_clients then -- 0.10+
    list = vim.lsp.get_clients({ bufnr = bufnr, name = 'apls' })
  else
    list = vim.lsp.buf_get_clients(bufnr)
  end
  for _, c in pairs(list) do
    if c.name == 'apls' then
      return c
    end
  end
  return nil
end

local function whole_buffer_range(bufnr)
  local n = vim.api.nvim_buf_line_count(bufnr)
  return { start = { line = 0, character = 0 }, ['end'] = { line = n, character = 0 } }
end

--- The loaded buffer of file fname, if any.
local function loaded_buffer(fname)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) and vim.api.nvim_buf_get_name(b) == fname then
      return b
    end
  end
  return nil
end

--- The bytes buffer b would hold as a file: its lines with its line
--- endings, its final line break only if it has one ('eol').
local function buffer_bytes(b)
  local nl = ({ dos = '\r\n', mac = '\r' })[vim.bo[b].fileformat] or '\n'
  local text = table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, true), nl)
  if vim.bo[b].eol then
    text = text .. nl
  end
  return (vim.bo[b].bomb and '\239\187\191' or '') .. text
end

local function file_bytes(fname)
  local f = io.open(fname, 'rb')
  if not f then
    return nil
  end
  local data = f:read('*a')
  f:close()
  return data
end

local function is_null(v)
  return v == nil or v == vim.NIL
end

--- Why the WorkspaceEdit `edit` must not be applied, or nil: a buffer it
--- changes does not hold the text the server built it on. For a buffer the
--- server was sent, the edit names the version it saw (Neovim 0.7 checks
--- only the first one); for a file the server read from the disk (version
--- null), a loaded buffer of it must hold the file's bytes.
function M.check_edit(edit)
  local why = {}
  for _, dc in ipairs(edit.documentChanges or {}) do
    local td = dc.textDocument
    if td and not dc.kind then
      local fname = vim.uri_to_fname(td.uri)
      local b = loaded_buffer(fname)
      local name = b and vim.fn.fnamemodify(fname, ':~:.') or nil
      if not b then
        -- not loaded: Neovim reads it from the disk, as the server did
      elseif not is_null(td.version) then
        if vim.lsp.util.buf_versions[b] ~= td.version then
          table.insert(why, name .. ' changed since the server checked it: try again')
        end
      elseif buffer_bytes(b) ~= file_bytes(fname) then
        if vim.bo[b].modified then
          table.insert(why, name .. ' has unsaved changes the server cannot see (it reads the file): :w it')
        else
          table.insert(why, name .. ' is older than the file on disk: :e it')
        end
      end
    end
  end
  return #why > 0 and table.concat(why, '; ') or nil
end

--- Whether the text of buffer b after `edits` (the server's line edits)
--- ends without a line break: it has none now, and no edit reaching the
--- end of the text gives it one.
local function keeps_no_final_newline(b, edits)
  if vim.bo[b].eol then
    return false
  end
  local n = vim.api.nvim_buf_line_count(b)
  for _, e in ipairs(edits) do
    if e.range['end'].line >= n then
      if e.newText ~= '' then
        return e.newText:sub(-1) ~= '\n' and e.newText:sub(-1) ~= '\r'
      end
      return e.range.start.line == 0 and e.range.start.character == 0 -- nothing left
    end
  end
  return true
end

--- Before an edit of apls is applied: a file whose last line has no line
--- break and keeps none in the result (as apls apply writes it) gets
--- 'fixeol' off, so writing the buffer does not add one. Returns the names.
local function keep_missing_final_newlines(edit)
  local kept = {}
  for _, dc in ipairs(edit.documentChanges or {}) do
    if dc.textDocument and not dc.kind then
      local fname = vim.uri_to_fname(dc.textDocument.uri)
      local b = vim.fn.bufadd(fname)
      vim.fn.bufload(b) -- (as applying would)
      if keeps_no_final_newline(b, dc.edits or {}) and vim.bo[b].fixeol then
        vim.bo[b].fixeol = false
        table.insert(kept, vim.fn.fnamemodify(fname, ':~:.'))
      end
    end
  end
  return kept
end

local apply_workspace_edit = vim.lsp.util.apply_workspace_edit

--- Applies an edit of apls (refusing it with an error when M.check_edit
--- says so); returns the files that keep no final newline.
local function apply_apls_edit(edit, offset_encoding)
  local why = M.check_edit(edit)
  if why then
    error('apls: not applied: ' .. why, 0)
  end
  local kept = keep_missing_final_newlines(edit)
  apply_workspace_edit(edit, offset_encoding)
  return kept
end

local function kept_note(kept)
  return #kept > 0 and ('; ' .. table.concat(kept, ', ') .. ' keep' .. (#kept == 1 and 's' or '')
    .. ' no final newline, as in the patch\'s result') or ''
end

--- The client's own code actions (vim.lsp.buf.code_action) apply edits with
--- vim.lsp.util.apply_workspace_edit: from a patch buffer with apls, the same
--- checks as apply_patch. An edit refused raises an error, which also stops
--- the action's command.
local function guard_code_actions()
  if vim.lsp.util.apply_workspace_edit ~= apply_workspace_edit then
    return
  end
  vim.lsp.util.apply_workspace_edit = function(edit, ...)
    local b = vim.api.nvim_get_current_buf()
    if not (is_patch(b) and M.client(b)) then
      return apply_workspace_edit(edit, ...)
    end
    local ok, kept = pcall(apply_apls_edit, edit, ...)
    if not ok then
      notify((tostring(kept):gsub('^apls: ', '')), vim.log.levels.ERROR)
      error(kept, 0)
    end
    if #kept > 0 then
      notify(kept_note(kept):sub(3))
    end
  end
end

local function execute(client, command, bufnr, done)
  client.request('workspace/executeCommand', {
    command = command.command,
    arguments = command.arguments,
  }, function(err, result)
    if done then
      done(err, result)
    end
  end, bufnr)
end

--- Finds the whole-patch action (kind source.applyPatch) of a .ap buffer and
--- runs it: applies its edit, then executes its command if any (apls.createFiles
--- writes the new files where the client cannot create them). Refuses, with
--- the server's reason, when the patch does not resolve.
--- opts.on_done(ok, message) is called at the end (also on refusal).
function M.apply_patch(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local done = opts.on_done or function(ok, msg)
    notify(msg, ok and vim.log.levels.INFO or vim.log.levels.WARN)
  end
  local client = M.client(bufnr)
  if not client then
    done(false, 'no apls client for this buffer')
    return
  end
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = whole_buffer_range(bufnr),
    context = { diagnostics = {}, only = { 'source.applyPatch' } },
  }
  client.request('textDocument/codeAction', params, function(err, actions)
    if err then
      done(false, 'codeAction failed: ' .. (err.message or vim.inspect(err)))
      return
    end
    local action
    for _, a in ipairs(actions or {}) do
      if a.kind == 'source.applyPatch' then
        action = a
        break
      end
    end
    if not action then
      done(false, 'the server offered no "Apply patch" action')
      return
    end
    if action.disabled then
      done(false, 'not applied: ' .. (action.disabled.reason or 'unavailable'))
      return
    end
    if not action.edit then
      -- "Apply patch (unavailable)": its apls.explain command says why.
      if type(action.command) == 'table' then
        execute(client, action.command, bufnr)
        local why = action.command.arguments and action.command.arguments[1]
        done(false, 'not applied: ' .. (type(why) == 'string' and why or action.title))
      else
        done(false, 'not applied: ' .. action.title)
      end
      return
    end
    local why = M.check_edit(action.edit)
    if why then
      done(false, 'not applied: ' .. why)
      return
    end
    local ok, kept = pcall(apply_apls_edit, action.edit, client.offset_encoding or 'utf-16')
    if not ok then
      done(false, 'the edit failed: ' .. tostring(kept))
      return
    end
    if type(action.command) == 'table' then
      execute(client, action.command, bufnr, function(cerr)
        if cerr then
          done(false, action.command.command .. ' failed: ' .. (cerr.message or vim.inspect(cerr)))
        else
          done(true, 'patch applied (new files written); :wall saves the edited buffers' .. kept_note(kept))
        end
      end)
    else
      done(true, 'patch applied; :wall saves the edited buffers' .. kept_note(kept))
    end
  end, bufnr)
end

--- Asks the server where the modification under the cursor lands (a message,
--- or the target opened where the client supports window/showDocument).
function M.show_target(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify('no apls client for this buffer', vim.log.levels.WARN)
    return
  end
  local params = vim.lsp.util.make_range_params()
  params.context = { diagnostics = {}, only = { 'source.showTarget' } }
  client.request('textDocument/codeAction', params, function(err, actions)
    for _, a in ipairs((not err and actions) or {}) do
      local cmd = type(a.command) == 'table' and a.command or a
      if cmd.command == 'apls.showTarget' then
        execute(client, cmd, bufnr)
        return
      end
    end
    notify('put the cursor in a modification that resolves', vim.log.levels.WARN)
  end, bufnr)
end

--- The suggested mappings, local to a .ap buffer.
function M.keymaps(bufnr)
  local function map(lhs, rhs, desc)
    vim.keymap.set('n', lhs, rhs, { buffer = bufnr, silent = true, desc = desc })
  end
  map('<leader>pa', function() M.apply_patch() end, 'apls: apply the whole patch')
  map('<leader>pt', function() M.show_target() end, 'apls: where does this modification land')
  map('<leader>ca', vim.lsp.buf.code_action, 'apls: code actions (quick fixes, apply one change)')
  map('K', vim.lsp.buf.hover, 'apls: what this modification does')
  if vim.diagnostic.jump then -- 0.11+
    map(']d', function() vim.diagnostic.jump({ count = 1, float = true }) end, 'next diagnostic')
    map('[d', function() vim.diagnostic.jump({ count = -1, float = true }) end, 'previous diagnostic')
  else
    map(']d', vim.diagnostic.goto_next, 'next diagnostic')
    map('[d', vim.diagnostic.goto_prev, 'previous diagnostic')
  end
end

local augroup = nil

--- Sets apls up: attaches every file buffer opened from now on (and those
--- already loaded), defines :AplsApply and :AplsShowTarget.
function M.setup(opts)
  M.set_up = true
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts or {})
  if opts and opts.cmd then
    M.config.cmd = opts.cmd -- a list: replace, do not merge
  end
  guard_code_actions()
  augroup = vim.api.nvim_create_augroup('apls', { clear = true })
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
    group = augroup,
    callback = function(ev)
      M.attach(ev.buf)
    end,
  })
  if M.config.codelens then
    vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost' }, {
      group = augroup,
      pattern = '*.ap',
      callback = function()
        if M.client(0) and vim.lsp.codelens then
          pcall(vim.lsp.codelens.refresh)
        end
      end,
    })
    -- the server publishes after every analysis, also of an edit made in
    -- normal mode (dd, p, u, a quick fix) or of a target changed on disk:
    -- the lenses say the same as the diagnostics (Neovim 0.7 would keep
    -- them stale until the next InsertLeave)
    vim.api.nvim_create_autocmd('DiagnosticChanged', {
      group = augroup,
      pattern = '*.ap',
      callback = function(ev)
        local b = ev.buf
        if b and vim.api.nvim_buf_is_loaded(b) and M.client(b) and vim.lsp.codelens then
          vim.api.nvim_buf_call(b, function() pcall(vim.lsp.codelens.refresh) end)
        end
      end,
    })
  end
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) then
      M.attach(b)
    end
  end
  vim.api.nvim_create_user_command('AplsApply', function()
    M.apply_patch()
  end, { desc = 'apls: apply the whole patch of this .ap buffer' })
  vim.api.nvim_create_user_command('AplsShowTarget', function()
    M.show_target()
  end, { desc = 'apls: where does the modification under the cursor land' })
  vim.api.nvim_create_user_command('AplsStatus', function()
    local st = vim.b.apls_status
    if type(st) == 'table' then
      notify(string.format('format %s%s: %d file block(s), %d modification(s)', st.format,
        type(st.id) == 'string' and (', id ' .. st.id) or '', st.files, st.modifications))
    else
      notify('the server has not analysed this buffer (is it a .ap patch?)', vim.log.levels.WARN)
    end
  end, { desc = 'apls: the format this .ap buffer is read as' })
end

return M
