;;; ap-mode.el --- Major mode for .ap patches, served by apls through eglot -*- lexical-binding: t; -*-

;; Author: apls maintainers
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: languages, tools
;; SPDX-License-Identifier: MIT

;;; Commentary:

;; .ap files ("AI-friendly Patch" 2.0) are YAML documents that list code
;; modifications located by snippets.  This file gives them a major mode
;; (derived from `yaml-mode' when that is installed, else a small mode of
;; its own) and registers the apls language server with eglot, so that
;; M-x eglot (or `eglot-ensure') shows apls's diagnostics, hover and code
;; actions.  Works with eglot 1.9 (Debian's elpa-eglot on Emacs 28) and
;; with the eglot built into Emacs 29.
;;
;; Installed by the Debian package (or `meson install'), .ap files open in
;; ap-mode with no configuration.  As an Emacs package:
;;   M-x package-install-file RET /path/to/apls/editors/emacs/ap-mode.el
;; or from a checkout:
;;   (add-to-list 'load-path "/path/to/apls/editors/emacs")
;;   (require 'ap-mode)
;; Then, to start apls in every patch:
;;   (add-hook 'ap-mode-hook #'eglot-ensure)
;; apls is registered with eglot whether eglot is loaded before or after
;; this file (Debian's eglot 1.9, or the eglot of Emacs 29).
;;
;; C-c C-a (`ap-apply-patch') applies the whole patch: it finds the
;; server's "Apply patch" action (kind source.applyPatch), applies its edit
;; and then runs its command (apls.createFiles writes the new files, since
;; eglot 1.9 cannot create files).  The same action and the quick fixes are
;; in M-x eglot-code-actions.  Save the edited buffers afterwards.
;;
;; eglot sends apls only `ap-mode' buffers, so apls reads the files a patch
;; edits from the disk.  An edit of apls is therefore never applied to a
;; buffer that does not hold the file's text on disk (unsaved changes, or
;; the file changed since it was visited): `ap-apply-patch' offers to save
;; (or revert) such buffers first, and refuses otherwise, naming them; an
;; edit applied by `eglot-code-actions' is refused the same way.  A file
;; whose last line has no line break and keeps none in the patch's result
;; keeps it so when saved (`require-final-newline' is turned off in that
;; buffer, and a message says so).

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'yaml-mode nil t)

(defgroup ap nil
  "Editing .ap patches with the apls language server."
  :group 'languages
  :prefix "ap-")

(defcustom ap-server-command '("apls")
  "The apls command line given to eglot.
Add \"--log-level\" \"debug\" to see more in the events buffer's stderr."
  :type '(repeat string))

(defconst ap--code-keys '("snippet" "anchor" "content" "start_snippet" "end_snippet")
  "The keys whose values are code.")

(defconst ap--actions '("REPLACE" "INSERT_AFTER" "INSERT_BEFORE" "DELETE" "CREATE_FILE"))

(defconst ap-font-lock-keywords
  `(("^#[ \t]*\\(Summary\\|Plan\\):" 1 font-lock-doc-face t)
    (,(concat "^[ \t]*\\(?:-[ \t]+\\)?\\(" (regexp-opt ap--code-keys) "\\)[ \t]*:")
     1 font-lock-function-name-face t)
    (,(concat "^[ \t]*\\(?:-[ \t]+\\)?action[ \t]*:[ \t]*\\(" (regexp-opt ap--actions 'words) "\\)")
     1 font-lock-constant-face t)
    ("^[ \t]*\\(?:-[ \t]+\\)?\\(newline\\)[ \t]*:[ \t]*\\(\\(?:CR\\)?LF\\|CR\\)\\b"
     (2 font-lock-constant-face t))
    ("^[ \t]*\\(?:-[ \t]+\\)?\\([A-Za-z_][A-Za-z0-9_]*\\)[ \t]*:\\(?:[ \t]\\|$\\)"
     1 font-lock-keyword-face)
    ("^[ \t]*\\(?:-[ \t]+\\)?file_path[ \t]*:[ \t]*\\(.+?\\)[ \t]*$" 1 font-lock-string-face)
    ("^\\(?:---\\|\\.\\.\\.\\)$" . font-lock-preprocessor-face))
  "Font lock for `ap-mode': keys, actions and the code-carrying keys.")

;;; format 3.2: directives prefixed with the patch's id

(defconst ap--v3-blocks '("FILE" "REPLACE" "INSERT_AFTER" "INSERT_BEFORE" "DELETE" "CREATE"
                          "RECREATE" "RENAME")
  "The 3.2 directives that open a block or a modification.")

(defconst ap-font-lock-keywords-3
  `(("^#[ \t]*\\(Summary\\|Plan\\):" 1 font-lock-doc-face t)
    ;; the header: "<id> AP <version>"
    ("^\\([^ \t\n#][^ \t\n]*\\)[ \t]+\\([Aa][Pp]\\)[ \t]+\\([^ \t\n]+\\)"
     (1 font-lock-variable-name-face) (2 font-lock-preprocessor-face) (3 font-lock-constant-face))
    ;; FILE, actions and END, with their arguments
    (,(concat "^\\([^ \t\n#][^ \t\n]*\\)[ \t]+\\("
              (regexp-opt (append ap--v3-blocks '("END")))
              "\\):?\\(?:[ \t]+\\(\\(?:CR\\)?LF\\|CR\\)\\_>\\)?\\(?:[ \t]+\\(.*?\\)\\)?[ \t]*$")
     (1 font-lock-variable-name-face) (2 font-lock-keyword-face)
     (3 font-lock-constant-face nil t) (4 font-lock-string-face nil t))
    ;; the fields whose values are code, and the options
    (,(concat "^\\([^ \t\n#][^ \t\n]*\\)[ \t]+\\("
              (regexp-opt '("snippet" "snippet_tail" "anchor" "content"))
              "\\):?[ \t]*$")
     (1 font-lock-variable-name-face) (2 font-lock-function-name-face))
    (,(concat "^\\([^ \t\n#][^ \t\n]*\\)[ \t]+\\("
              (regexp-opt '("include_leading_blank_lines" "include_trailing_blank_lines" "scope_end"))
              "\\):?\\(?:[ \t]+\\([0-9]+\\)\\)?[ \t]*$")
     (1 font-lock-variable-name-face) (2 font-lock-type-face) (3 font-lock-constant-face nil t)))
  "Font lock for a 3.2 patch: the id, the directives and their arguments.
Value lines are the patch's code: left as they are (no comment syntax).")

(defvar-local ap-format nil
  "The format the patch is read as: \"3.2\" or \"2.0\".
From apls (its apls/status notification) once eglot runs, else from the
server's rule applied by `ap--detect-format'.")

(defvar-local ap-patch-status nil
  "The last apls/status of this buffer (a plist: :format :id :files ...).")

(defvar-local ap--font-lock-2 nil
  "The buffer's font lock defaults for 2.0, kept when 3.2 replaces them.")

(defun ap--detect-format ()
  "The format of the buffer's text, by the server's rule.
3.2 when a line at column 0 is a header (\"<id> AP <version>\") or a
directive with an 8-hex id and a block keyword; else 2.0."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char (point-min))
      (let ((case-fold-search nil))
        (if (re-search-forward
             (concat "^\\(?:[^ \t\n#][^ \t\n]*[ \t]+[Aa][Pp][ \t]+[^ \t\n]"
                     "\\|[0-9A-Fa-f]\\{8\\}[ \t]+" (regexp-opt ap--v3-blocks) "\\(?:[ \t]\\|$\\)\\)")
             nil t)
            "3.2"
          "2.0")))))

(defun ap--set-format (format)
  "Show the buffer as a FORMAT patch: its font lock and the mode line."
  (unless (equal format ap-format)
    (unless ap--font-lock-2
      (setq ap--font-lock-2 (or font-lock-defaults '(ap-font-lock-keywords nil nil))))
    (setq ap-format format)
    ;; 3.2 keywords only: no YAML, no comment syntax over value lines
    (setq-local font-lock-defaults
                (if (equal format "3.2") '(ap-font-lock-keywords-3 t) ap--font-lock-2))
    (when (fboundp 'font-lock-refresh-defaults)
      (font-lock-refresh-defaults))
    ;; over yaml-mode, 2.0's own keywords come on top of YAML's (refreshing
    ;; the defaults dropped them)
    (when (and (equal format "2.0") (derived-mode-p 'yaml-mode))
      (font-lock-add-keywords nil ap-font-lock-keywords))
    (setq mode-name (concat "AP/" format))
    (force-mode-line-update)))

(defun ap-status ()
  "Say which format apls reads this patch as."
  (interactive)
  (let ((st ap-patch-status))
    (message "%s" (if st
                      (format "apls reads this patch as format %s%s: %s file block(s), %s modification(s)"
                              (plist-get st :format)
                              (if (stringp (plist-get st :id)) (concat ", id " (plist-get st :id)) "")
                              (plist-get st :files) (plist-get st :modifications))
                    (format "format %s (by its text; apls has not said yet)" (or ap-format "?"))))))

(defvar ap-mode-syntax-table
  (let ((st (make-syntax-table)))
    (modify-syntax-entry ?# "<" st)
    (modify-syntax-entry ?\n ">" st)
    (modify-syntax-entry ?\" "\"" st)
    (modify-syntax-entry ?' "\"" st)
    (modify-syntax-entry ?_ "_" st)
    (modify-syntax-entry ?- "_" st)
    st)
  "Syntax table of `ap-mode' when `yaml-mode' is not installed.")

(defvar ap-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-a") #'ap-apply-patch)
    (define-key map (kbd "C-c C-c") #'eglot-code-actions)
    (define-key map (kbd "C-c C-n") #'flymake-goto-next-error)
    (define-key map (kbd "C-c C-p") #'flymake-goto-prev-error)
    (define-key map (kbd "C-c C-h") #'eldoc-doc-buffer)
    (define-key map (kbd "C-c C-s") #'ap-status)
    map)
  "Keys of `ap-mode'.")

(defmacro ap--define-mode (parent)
  "Define `ap-mode' derived from PARENT."
  `(define-derived-mode ap-mode ,parent "AP"
     "Major mode for .ap patches (AI-friendly Patch 2.0).
Diagnostics, hover and code actions come from apls through eglot.

\\{ap-mode-map}"
     (setq-local comment-start "# ")
     (setq-local comment-start-skip "#+[ \t]*")
     (setq-local comment-end "")
     (setq-local indent-tabs-mode nil)
     (setq-local tab-width 2)
     (unless (eq ',parent 'yaml-mode)
       (set-syntax-table ap-mode-syntax-table)
       (setq-local indent-line-function #'ap--indent-line)
       (setq-local font-lock-defaults '(ap-font-lock-keywords nil nil)))
     (ap--set-format (ap--detect-format))))

(defun ap--indent-line ()
  "Indent like the previous non-blank line.
Two columns deeper after a line that ends with `:' or a block indicator."
  (let* ((prev (save-excursion
                 (forward-line -1)
                 (while (and (not (bobp)) (looking-at-p "^[ \t]*$"))
                   (forward-line -1))
                 (cons (current-indentation)
                       (looking-at-p ".*\\(?::\\|[|>][-+0-9]*\\)[ \t]*$"))))
         (target (+ (car prev) (if (cdr prev) 2 0))))
    (if (<= (current-column) (current-indentation))
        (indent-line-to target)
      (save-excursion (indent-line-to target)))))

(if (fboundp 'yaml-mode)
    (ap--define-mode yaml-mode)
  (ap--define-mode prog-mode))

;; `ap-mode' is defined by a macro, which the autoload scanner does not
;; see: its autoload is written out for the package's autoloads file.
;;;###autoload
(autoload 'ap-mode "ap-mode" "Major mode for .ap patches, served by apls through eglot." t)

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.ap\\'" . ap-mode))

;;; eglot

(defun ap--register-eglot ()
  "Tell eglot that apls serves `ap-mode'."
  (when (boundp 'eglot-server-programs)
    (setq eglot-server-programs
          (cons (cons 'ap-mode ap-server-command)
                (cl-remove-if (lambda (entry) (eq (car-safe entry) 'ap-mode))
                              eglot-server-programs)))))

(with-eval-after-load 'eglot (ap--register-eglot))

(defun ap--on-status (params)
  "apls/status PARAMS: the format the server read a patch buffer as."
  (let* ((uri (plist-get params :uri))
         (file (and (stringp uri) (fboundp 'eglot--uri-to-path) (eglot--uri-to-path uri)))
         (buf (and file (find-buffer-visiting file))))
    (when (and buf (stringp (plist-get params :format)))
      (with-current-buffer buf
        (setq ap-patch-status params)
        (when (derived-mode-p 'ap-mode)
          (ap--set-format (plist-get params :format)))))))

(with-eval-after-load 'eglot
  (cl-defmethod eglot-handle-notification (_server (_method (eql apls/status)) &rest params)
    "apls/status: see `ap--on-status'."
    (ap--on-status params)))

(declare-function eglot--current-server-or-lose "eglot")
(declare-function eglot--TextDocumentIdentifier "eglot")
(declare-function eglot--pos-to-lsp-position "eglot")
(declare-function eglot--apply-workspace-edit "eglot")
(declare-function eglot-execute-command "eglot")
(declare-function eglot-execute "eglot")
(declare-function eglot--uri-to-path "eglot")
(declare-function eglot--server-info "eglot")
(declare-function jsonrpc-request "jsonrpc")

;;; edits of apls: only on buffers that hold what the server read

(defun ap--edit-files (edit)
  "The files the WorkspaceEdit EDIT changes: a list of (PATH . VERSION).
VERSION is nil where apls read the file from the disk (eglot 1.9 sends
it no other buffer than the `ap-mode' ones)."
  (cl-loop for dc across (or (plist-get edit :documentChanges) [])
           for td = (plist-get dc :textDocument)
           when td
           collect (cons (eglot--uri-to-path (plist-get td :uri)) (plist-get td :version))))

(defun ap--unsynced-buffers (edit)
  "The buffers EDIT would change that do not hold the text apls built it on.
For a file apls read from the disk, a buffer visiting it must have no
unsaved change and be as new as the file."
  (cl-loop for (path . version) in (ap--edit-files edit)
           for buf = (and (null version) (find-buffer-visiting path))
           when (and buf (or (buffer-modified-p buf)
                             (not (verify-visited-file-modtime buf))))
           collect buf))

(defun ap--unsynced-reason (bufs)
  "Why an edit is not applied to BUFS (from `ap--unsynced-buffers')."
  (format "not applied: apls reads %s from the disk, and %s: save %s (or revert %s), then apply again"
          (if (cdr bufs) "these files" "this file")
          (mapconcat (lambda (b)
                       (format "%s %s" (buffer-name b)
                               (if (buffer-modified-p b) "has unsaved changes" "changed on disk")))
                     bufs ", ")
          (if (cdr bufs) "them" "it") (if (cdr bufs) "them" "it")))

(defun ap--save-or-revert (bufs)
  "Make each of BUFS hold its file's text: save it, or revert an unmodified one."
  (dolist (b bufs)
    (with-current-buffer b
      (if (buffer-modified-p) (save-buffer) (revert-buffer t t t)))))

(defun ap--keep-missing-final-newlines (edit)
  "Keep the missing final newline of the buffers EDIT left without one.
The patch's result of such a file ends without a line break (as `apls
apply' writes it); `require-final-newline' would add one on save.
Returns the names of those buffers."
  (cl-loop for (path . _) in (ap--edit-files edit)
           for buf = (find-buffer-visiting path)
           when (and buf (with-current-buffer buf
                           (save-restriction
                             (widen)
                             (and (> (buffer-size) 0) (/= (char-before (point-max)) ?\n)))))
           collect (with-current-buffer buf
                     (setq-local require-final-newline nil)
                     (buffer-name buf))))

(defvar ap--server-edit nil
  "Non-nil while apls's own workspace/applyEdit request is handled.")

(defun ap--apls-server-p (server)
  "Whether the eglot SERVER is apls."
  (equal (plist-get (eglot--server-info server) :name) "apls"))

(defun ap--guard-workspace-edit (apply-edit wedit &rest args)
  "Apply WEDIT with APPLY-EDIT (eglot's), if it is apls's and safe.
An edit of apls (from an `ap-mode' buffer, or the server's request) is
refused when a buffer it changes does not hold what apls read; after it,
missing final newlines are kept."
  (if (not (or ap--server-edit (derived-mode-p 'ap-mode)))
      (apply apply-edit wedit args)
    (let ((stale (ap--unsynced-buffers wedit)))
      (when stale
        (user-error "apls: %s" (ap--unsynced-reason stale))))
    (prog1 (apply apply-edit wedit args)
      (let ((kept (ap--keep-missing-final-newlines wedit)))
        (when kept
          (message "apls: %s keep%s no final newline, as in the patch's result"
                   (string-join kept ", ") (if (cdr kept) "" "s")))))))

(defun ap--mark-server-edit (handle server method &rest args)
  "Call HANDLE on SERVER's METHOD request, noting apls's applyEdit."
  (let ((ap--server-edit (and (eq method 'workspace/applyEdit) (ap--apls-server-p server))))
    (apply handle server method args)))

(with-eval-after-load 'eglot
  (advice-add 'eglot--apply-workspace-edit :around #'ap--guard-workspace-edit)
  (advice-add 'eglot-handle-request :around #'ap--mark-server-edit))

(defun ap--apply-edit (edit)
  "Apply the WorkspaceEdit EDIT with eglot's own code."
  (if (>= (car (func-arity #'eglot--apply-workspace-edit)) 2)
      ;; newer eglot: (eglot--apply-workspace-edit WEDIT ORIGIN ...)
      (eglot--apply-workspace-edit edit 'code-action)
    ;; eglot 1.9 and Emacs 29: (eglot--apply-workspace-edit WEDIT &optional CONFIRM)
    (eglot--apply-workspace-edit edit)))

(defun ap-apply-patch (&optional callback)
  "Apply the whole patch of the current .ap buffer.
Finds apls's \"Apply patch\" code action (kind source.applyPatch), applies
its edit, then runs its command when it has one.  Refuses, with the
server's reason, when the patch does not resolve.  A buffer the edit
changes that does not hold its file's text on disk (which is what apls
read) is saved or reverted first if you say so; else nothing is applied.
CALLBACK, if non-nil, is called with t or nil and a message (for scripts
and tests); nothing is asked then."
  (interactive)
  (require 'eglot)
  (let* ((server (eglot--current-server-or-lose))
         (actions (jsonrpc-request
                   server :textDocument/codeAction
                   (list :textDocument (eglot--TextDocumentIdentifier)
                         :range (list :start (eglot--pos-to-lsp-position (point-min))
                                      :end (eglot--pos-to-lsp-position (point-max)))
                         :context '(:diagnostics [] :only ["source.applyPatch"]))))
         (action (cl-find "source.applyPatch" (append actions nil)
                          :key (lambda (a) (plist-get a :kind)) :test #'equal))
         (command (plist-get action :command))
         (done (lambda (ok msg)
                 (if callback (funcall callback ok msg)
                   (if ok (message "apls: %s" msg) (user-error "apls: %s" msg))))))
    (cond
     ((null action)
      (funcall done nil "the server offered no \"Apply patch\" action"))
     ((plist-get action :disabled)
      (funcall done nil (format "not applied: %s"
                                (plist-get (plist-get action :disabled) :reason))))
     ((null (plist-get action :edit))
      ;; "Apply patch (unavailable)": its apls.explain command says why.
      (when command
        (eglot-execute-command server (intern (plist-get command :command))
                               (plist-get command :arguments)))
      (let ((why (and command (aref (plist-get command :arguments) 0))))
        (funcall done nil (format "not applied: %s"
                                  (if (stringp why) why (plist-get action :title))))))
     ((ap--unsynced-buffers (plist-get action :edit))
      (let ((stale (ap--unsynced-buffers (plist-get action :edit))))
        (if (and (null callback)
                 (y-or-n-p (format "apls reads %s from the disk; save (or revert) %s first? "
                                   (mapconcat #'buffer-name stale ", ")
                                   (if (cdr stale) "them" "it"))))
            (progn
              (ap--save-or-revert stale)
              (ap-apply-patch)) ; again: the server reads the disk afresh
          (funcall done nil (ap--unsynced-reason stale)))))
     (t
      (if (fboundp 'eglot-execute)
          ;; eglot 1.16+: edit, then command, eglot's own way
          (eglot-execute server action)
        (ap--apply-edit (plist-get action :edit))
        (when command
          (eglot-execute-command server (intern (plist-get command :command))
                                 (plist-get command :arguments))))
      (funcall done t (if command
                          "patch applied, new files written; save the edited buffers"
                        "patch applied; save the edited buffers"))))))

(defun ap-show-target ()
  "Say where the modification at point lands (or open it, where eglot can)."
  (interactive)
  (require 'eglot)
  (let* ((server (eglot--current-server-or-lose))
         (actions (jsonrpc-request
                   server :textDocument/codeAction
                   (list :textDocument (eglot--TextDocumentIdentifier)
                         :range (list :start (eglot--pos-to-lsp-position (point))
                                      :end (eglot--pos-to-lsp-position (point)))
                         :context '(:diagnostics [] :only ["source.showTarget"]))))
         (command (cl-some (lambda (a)
                             (let ((c (plist-get a :command)))
                               (cond ((stringp c) a)
                                     (c c))))
                           (append actions nil))))
    (if (null command)
        (user-error "apls: put point in a modification that resolves")
      (eglot-execute-command server (intern (plist-get command :command))
                             (plist-get command :arguments)))))

(provide 'ap-mode)
;;; ap-mode.el ends here
