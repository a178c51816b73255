;;; ap-mode.el --- Major mode for .ap patches, served by apls through eglot -*- lexical-binding: t; -*-

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
;;   (add-to-list 'load-path "/path/to/apls/editors/emacs")
;;   (require 'ap-mode)
;;   (add-hook 'ap-mode-hook #'eglot-ensure)
;;
;; C-c C-a (`ap-apply-patch') applies the whole patch: it finds the
;; server's "Apply patch" action (kind source.applyPatch), applies its edit
;; and then runs its command (apls.createFiles writes the new files, since
;; eglot 1.9 cannot create files).  The same action and the quick fixes are
;; in M-x eglot-code-actions.  Save the edited buffers afterwards.

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
     (when (eq ',parent 'yaml-mode)
       (font-lock-add-keywords nil ap-font-lock-keywords))))

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

(declare-function eglot--current-server-or-lose "eglot")
(declare-function eglot--TextDocumentIdentifier "eglot")
(declare-function eglot--pos-to-lsp-position "eglot")
(declare-function eglot--apply-workspace-edit "eglot")
(declare-function eglot-execute-command "eglot")
(declare-function eglot-execute "eglot")
(declare-function jsonrpc-request "jsonrpc")

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
server's reason, when the patch does not resolve.  CALLBACK, if non-nil,
is called with t or nil and a message (for scripts and tests)."
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
